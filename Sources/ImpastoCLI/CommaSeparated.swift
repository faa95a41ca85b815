import ArgumentParser

/// An option value that is a comma-separated list (`--style a.jpg,b.jpg`, `--scales 256,512`), written the
/// way neural-style takes its lists, so its scripts' values parse unchanged. An empty value is an empty
/// list (`--style-layers ""`: no style terms).
struct CommaSeparated<Element: ExpressibleByArgument>: ExpressibleByArgument {
    /// The items, in the order given.
    var elements: [Element]

    /// Splits at commas and parses each item; one bad item rejects the whole value.
    init?(argument: String) {
        var elements: [Element] = []
        for item in argument.split(separator: ",", omittingEmptySubsequences: false) where !argument.isEmpty {
            guard let element = Element(argument: item.trimmingCharacters(in: .whitespaces)) else { return nil }
            elements.append(element)
        }
        self.elements = elements
    }

    /// The list as it would be typed.
    var defaultValueDescription: String { elements.map(\.defaultValueDescription).joined(separator: ",") }
}
