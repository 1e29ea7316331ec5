"""Helpers shared by the benchmark scripts in tools/ (bench-broker, bench-client).

Loopback only; every process a script starts is stopped by PID with stop().
"""
import json, os, signal, socket, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server on port {port} did not answer")


def command(port, *args):
    with socket.create_connection(("127.0.0.1", port)) as c:
        out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
        c.sendall(out)
        return c.recv(65536)


def redis_benchmark(port, requests, pipeline, tests=None, custom=None, clients=50):
    """Runs redis-benchmark --csv and returns {test name: requests per second}."""
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
           "--csv", "-q"]
    if tests:
        cmd += ["-t", tests]
    if custom:
        cmd += custom
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    result = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split('","')]
        if len(parts) >= 2 and parts[0] != "test":
            try:
                result[parts[0].strip('"')] = float(parts[1].strip('"'))
            except ValueError:
                pass
    return result


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def build_release(product, scratch_path):
    """Builds `product` in release mode (in `scratch_path`, if given) and returns the bin directory."""
    print(f"building {product} (release)...", file=sys.stderr)
    scratch = ["--scratch-path", os.path.abspath(scratch_path)] if scratch_path else []
    subprocess.run(["swift", "build", "-c", "release", "--product", product] + scratch, cwd=ROOT, check=True,
                   stdout=sys.stderr)
    return subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"] + scratch, cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()


def build_fanout_bench(work):
    """Compiles tools/fanout-bench/fanout-bench.c into `work` and returns the binary's path."""
    binary = os.path.join(work, "fanout-bench")
    subprocess.run(["gcc", "-O2", "-o", binary, os.path.join(ROOT, "tools/fanout-bench/fanout-bench.c")],
                   check=True)
    return binary


def fanout(binary, port, subscribers, seconds):
    window = max(100, 20000 // subscribers)
    out = subprocess.run([binary, "--port", str(port), "--subscribers", str(subscribers), "--seconds",
                          str(seconds), "--window", str(window), "--batch", str(min(50, window // 2))],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"fanout-bench failed: {out.stderr}")
    return json.loads(out.stdout)


def load_average():
    """The 1, 5 and 15 minute load averages, from /proc/loadavg."""
    with open("/proc/loadavg") as f:
        return " / ".join(f.read().split()[:3])
