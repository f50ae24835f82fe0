using System;
using EfficientAI.Cli;

return EaiApp.Run(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);
