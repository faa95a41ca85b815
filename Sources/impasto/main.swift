import ImpastoCLI

await ImpastoCommand.runMain()
