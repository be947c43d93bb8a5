using NetPolHost.Cli;

return await NetPolHostCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
