import ImpastoCLI

await ImpastoCommand.main()
