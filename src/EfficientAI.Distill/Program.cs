using System;
using EfficientAI.Distill;

return DistillApp.Run(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);
