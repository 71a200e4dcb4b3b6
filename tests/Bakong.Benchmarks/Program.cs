using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Bakong.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
