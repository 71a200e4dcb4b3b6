using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Bakong.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Bakong.Benchmarks.KhqrBenchmarks).Assembly).Run(args);
