import ImpastoCLI

await ImpastoCommand.runFromCommandLine()
