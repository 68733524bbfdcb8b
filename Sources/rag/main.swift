import Foundation

let code = RagCLI.run(Array(CommandLine.arguments.dropFirst()))
exit(code.rawValue)
