"""Helpers shared by the benchmark scripts in tools/ (bench-broker, bench-client).

Loopback only; every process a script starts is stopped by PID with stop().
"""
import json, os, re, signal, socket, subprocess, sys, time

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


def redis_benchmark(port, requests, pipeline, tests=None, custom=None, clients=50, prefix=()):
    """Runs redis-benchmark --csv (after `prefix`, e.g. a taskset) and returns {test name: requests per second}."""
    cmd = list(prefix) + ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
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


def cpu_seconds(pid):
    """(user, system) CPU seconds of a process so far, all its threads, from /proc/<pid>/stat (fields 14 and 15).
    Exits with a message when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        sys.exit(f"the process with pid {pid} has exited")
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


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


def start_backplane(kind, bin_dir, work, prefix=(), preexec_fn=None, binary="broker", broker_args=()):
    """The bundled `broker` (`binary` in `bin_dir`, with `broker_args` added) or Debian's
    `redis-server` (no persistence) on a free loopback port: (process, port). `prefix` goes before
    the command (`taskset -c 0`, say)."""
    port = free_port()
    if kind == "broker":
        argv = [os.path.join(bin_dir, binary), "--port", str(port), "--bind", "127.0.0.1", "--loglevel", "warning"]
        argv += list(broker_args)
    else:
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", work, "--loglevel", "warning"]
    proc = subprocess.Popen(list(prefix) + argv, stdout=subprocess.DEVNULL, preexec_fn=preexec_fn)
    wait_for_port(port, proc)
    return proc, port


def start_node(bin_dir, name, args, prefix=(), preexec_fn=None):
    """A sample node (`web-node`, `api-node`) on a port it picks, with `args` added: (process, hub URL)."""
    proc = subprocess.Popen(
        list(prefix) + [os.path.join(bin_dir, name), "--port", "0", "--host", "127.0.0.1", "--log-level", "error"]
        + list(args),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=preexec_fn)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return proc, match.group(1) + "/learningHub"
    stop([proc])
    sys.exit(f"{name} {' '.join(args)} did not report its port")


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


def fanout(binary, port, subscribers, seconds, prefix=()):
    window = max(100, 20000 // subscribers)
    out = subprocess.run(list(prefix) + [binary, "--port", str(port), "--subscribers", str(subscribers), "--seconds",
                          str(seconds), "--window", str(window), "--batch", str(min(50, window // 2))],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"fanout-bench failed: {out.stderr}")
    return json.loads(out.stdout)


def load_average():
    """The 1, 5 and 15 minute load averages, from /proc/loadavg."""
    with open("/proc/loadavg") as f:
        return " / ".join(f.read().split()[:3])
