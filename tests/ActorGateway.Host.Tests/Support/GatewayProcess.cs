using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ActorGateway.Host.Tests.Support;

/// <summary>Runs the real <c>gateway</c> executable as a child process; always kills it on dispose.</summary>
public sealed partial class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stdout = new();

    private GatewayProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_output)
            {
                _output.AppendLine(e.Data);
                _stdout.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The gateway.dll built next to the tests (the Host project is referenced).</summary>
    public static string GatewayDll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "gateway.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("gateway.dll not found next to the tests", dll);
        }
    }

    public static GatewayProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static GatewayProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(GatewayDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return new GatewayProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start gateway"));
    }

    /// <summary>What the process wrote to stdout alone.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_output) return _stdout.ToString();
        }
    }

    /// <summary>Runs to completion and returns (exit code, stdout alone, stdout+stderr).</summary>
    public static async Task<(int ExitCode, string Stdout, string Output)> RunCapturedAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        using var p = Start(environment, args);
        using var cts = new CancellationTokenSource(timeout);
        await p._process.WaitForExitAsync(cts.Token);
        p._process.WaitForExit(); // flush async readers
        return (p.ExitCode, p.StandardOutput, p.Output);
    }

    /// <summary>Runs to completion and returns (exit code, stdout+stderr).</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args) =>
        RunAsync(new Dictionary<string, string>(), timeout, args);

    /// <summary>Runs to completion with extra environment variables and returns (exit code, stdout+stderr).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        using var p = Start(environment, args);
        using var cts = new CancellationTokenSource(timeout);
        await p._process.WaitForExitAsync(cts.Token);
        p._process.WaitForExit(); // flush async readers
        return (p.ExitCode, p.Output);
    }

    /// <summary>SIGTERM: what systemd or docker stop sends.</summary>
    public void Terminate() => Kill(_process.Id, 15);

    /// <summary>SIGKILL: kill -9.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
