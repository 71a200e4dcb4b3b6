using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Bakong.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/Bakong.Benchmarks -- seed-payments <path> [count]: a payment store to start a gateway on
if (args is ["seed-payments", var path, ..])
{
    var count = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : Bakong.Benchmarks.PaymentSeeding.Count;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    await Bakong.Benchmarks.PaymentSeeding.SeedAsync(path, count);
    Console.WriteLine($"{count} payments in {path} ({clock.Elapsed.TotalSeconds:0.0} s)");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Bakong.Benchmarks.KhqrBenchmarks).Assembly).Run(args);
