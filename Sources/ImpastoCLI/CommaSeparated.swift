import ArgumentParser

/// An option value that is a comma-separated list (`--style a.jpg,b.jpg`, `--scales 256,512`), written the
/// way neural-style takes its lists, so its scripts' values parse unchanged. An empty value is an empty
/// list (`--style-layers ""`: no style terms); an empty item (`a.jpg,`) is a typo and rejects the value.
struct CommaSeparated<Element: ExpressibleByArgument>: ExpressibleByArgument {
    /// The items, in the order given.
    var elements: [Element]

    /// Splits at commas and parses each item; one bad item rejects the whole value.
    init?(argument: String) {
        var elements: [Element] = []
        for item in argument.split(separator: ",", omittingEmptySubsequences: false) where !argument.isEmpty {
            let item = item.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty, let element = Element(argument: item) else { return nil }
            elements.append(element)
        }
        self.elements = elements
    }

    /// The list as it would be typed.
    var defaultValueDescription: String { elements.map(\.defaultValueDescription).joined(separator: ",") }
}
