#!/usr/bin/env python3
"""Writes link/x86_64-unknown-linux-gnu.order: the functions the release binary runs when
Terraform starts and drives it, first-run first, for build.rs to hand to lld.

Why: see build.rs. How:
1. builds the release binary as release.sh does, with lld's map file (TAURUSDB_LINK_MAP);
2. runs a copy under valgrind's lackey (every executed block's address, in order):
   a plugin start to the handshake line with AutoMTLS, idle; then `terraform apply` and
   `destroy` of three pauses against the simulator, Terraform starting the plugin
   through a wrapper in its dev_overrides directory;
3. maps the addresses to the functions' symbols through the map file and writes them:
   the start-up's first, then what the Terraform run added.
Symbol names carry each crate's build hash, so the list fits the build it was made
from; run this again after changing dependencies or the release profile (a stale list
only loses locality). Needs valgrind and terraform (or tofu); takes a few minutes.

Usage: python3 bench/link_order.py [--keep DIR]
       python3 bench/link_order.py --check   (how much of the list today's build still has)
"""
import argparse, bisect, os, re, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import startup  # noqa: E402

ORDER = os.path.join(harness.ROOT, "link", "x86_64-unknown-linux-gnu.order")
# One input section per line: VMA LMA Size Align, then the input file and section.
SECTION = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S.*:\((\.text[^)]*)\)\s*$")
SYMBOL = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+\s+(\S+)\s*$")


def build_with_map(tmp):
    link_map = os.path.join(tmp, "link.map")
    env = dict(os.environ, TAURUSDB_LINK_MAP=link_map)
    out = subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "terraform-provider-taurusdb",
                          "--message-format=json-render-diagnostics"],
                         cwd=harness.ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    exe = [m for m in re.findall(r'"executable":"([^"]+)"', out) if m.endswith("terraform-provider-taurusdb")][-1]
    binary = os.path.join(tmp, "terraform-provider-taurusdb")
    shutil.copy2(exe, binary)
    return binary, link_map


def read_map(link_map):
    """[(start, end, symbol)] of every .text input section, by start."""
    sections, current = [], None
    with open(link_map) as f:
        for line in f:
            m = SECTION.match(line)
            if m:
                start, size = int(m.group(1), 16), int(m.group(2), 16)
                current = [start, start + size, None] if size else None
                if current:
                    sections.append(current)
                continue
            m = SYMBOL.match(line)
            if m and current is not None and current[2] is None and int(m.group(1), 16) == current[0]:
                current[2] = m.group(2)
    named = [(s, e, n) for s, e, n in sections if n]
    named.sort()
    return named


def entry_point(binary):
    with open(binary, "rb") as f:
        header = f.read(32)
    return int.from_bytes(header[24:32], "little")


def wrapper(tmp, binary, trace_dir):
    """A script Terraform starts as the plugin: runs the copy under lackey, keeping each
    block address once, in first-run order."""
    plugins = os.path.join(tmp, "plugins")
    os.makedirs(plugins)
    path = os.path.join(plugins, "terraform-provider-taurusdb")
    with open(path, "w") as f:
        f.write("#!/usr/bin/env bash\n"
                f"exec 3> >(awk '$1 == \"SB\" && !seen[$2]++ {{ print $2 }}' > {trace_dir}/trace.$$)\n"
                f"exec valgrind --tool=lackey --trace-superblocks=yes --log-fd=3 {binary} \"$@\"\n")
    os.chmod(path, 0o755)
    return plugins


def trace_start(tmp, plugins, trace_dir):
    """A plugin start with AutoMTLS, as Terraform makes it, and a moment idle."""
    pem = startup.client_cert(tmp)
    env = {"TF_PLUGIN_MAGIC_COOKIE": startup.COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6",
           "PATH": os.environ["PATH"], "PLUGIN_CLIENT_CERT": pem}
    p = subprocess.Popen([os.path.join(plugins, "terraform-provider-taurusdb")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    if not line.startswith(b"1|6|"):
        sys.exit(f"no handshake line from the traced plugin: {line!r}")
    time.sleep(2.0)  # the idle moment the RSS benchmark measures after
    p.terminate()
    p.wait()
    return read_traces(trace_dir)


def trace_terraform(tmp, plugins, trace_dir):
    sim, endpoint, fields = harness.start_sim()
    try:
        work = os.path.join(tmp, "tf")
        os.makedirs(work)
        with open(os.path.join(work, "main.tf"), "w") as f:
            f.write(harness.pause_config(3, fields["instance_id"]))
        env = harness.terraform_env(tmp, endpoint, fields["project_id"])
        with open(env["TF_CLI_CONFIG_FILE"], "w") as f:
            f.write('provider_installation {\n dev_overrides {\n  "registry.terraform.io/taurusdb/taurusdb" = "%s"\n'
                    ' }\n direct {}\n}\n' % plugins)
        tf = harness.terraform()
        for args in (["apply", "-auto-approve"], ["destroy", "-auto-approve"]):
            subprocess.run([tf, *args, "-input=false", "-no-color"], cwd=work, env=env, check=True,
                           stdout=subprocess.DEVNULL)
    finally:
        sim.kill()
        sim.wait()
    return read_traces(trace_dir)


def read_traces(trace_dir):
    """Block addresses of every trace file in the directory (then emptied), in order."""
    seen, order = set(), []
    for name in sorted(os.listdir(trace_dir), key=lambda n: os.path.getmtime(os.path.join(trace_dir, n))):
        path = os.path.join(trace_dir, name)
        with open(path) as f:
            for line in f:
                a = int(line, 16)
                if a not in seen:
                    seen.add(a)
                    order.append(a)
        os.remove(path)
    return order


def symbols(addresses, sections, base):
    starts = [s for s, _, _ in sections]
    names, seen = [], set()
    for a in addresses:
        i = bisect.bisect_right(starts, a - base) - 1
        if i >= 0 and a - base < sections[i][1]:
            name = sections[i][2]
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names


def load_base(addresses, binary, sections):
    """valgrind maps the PIE somewhere of its choosing: the base that puts the entry point
    on an executed block and the most blocks inside .text."""
    entry = entry_point(binary)
    lo, hi = sections[0][0], sections[-1][1]
    best, hits = None, -1
    for a in addresses:
        base = a - entry
        if base < 0 or base % 4096:
            continue
        n = sum(1 for x in addresses if lo <= x - base < hi)
        if n > hits:
            best, hits = base, n
    if best is None:
        sys.exit("the entry point never ran in the trace: is the map from this binary?")
    return best


def listed():
    with open(ORDER) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def check():
    with tempfile.TemporaryDirectory(prefix="link-order-") as tmp:
        _, link_map = build_with_map(tmp)
        size = {n: e - s for s, e, n in read_map(link_map)}
    names = listed()
    present = [n for n in names if n in size]
    print(f"{len(present)} of {len(names)} listed functions are in today's build "
          f"({sum(size[n] for n in present) / 1024:.0f} KiB placed first)")
    if len(present) < 0.9 * len(names):
        print("the list is stale: run python3 bench/link_order.py")
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", help="keep the map, binary and traces in this directory")
    parser.add_argument("--check", action="store_true",
                        help="only report how many listed functions today's release build has")
    args = parser.parse_args()
    if args.check:
        return check()
    for tool in ("valgrind",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install {tool})")
    tmp = args.keep or tempfile.mkdtemp(prefix="link-order-")
    os.makedirs(tmp, exist_ok=True)
    try:
        print("==> building the release binary with a link map")
        binary, link_map = build_with_map(tmp)
        sections = read_map(link_map)
        print(f"    {len(sections)} functions in .text")
        trace_dir = os.path.join(tmp, "traces")
        os.makedirs(trace_dir)
        plugins = wrapper(tmp, binary, trace_dir)
        print("==> tracing a plugin start (valgrind lackey)")
        start = trace_start(tmp, plugins, trace_dir)
        print("==> tracing terraform apply and destroy of three pauses")
        run = trace_terraform(tmp, plugins, trace_dir)
        base = load_base(start[:5000], binary, sections)
        first = symbols(start, sections, base)
        rest = [n for n in symbols(run, sections, base) if n not in set(first)]
        size = {n: e - s for s, e, n in sections}
        os.makedirs(os.path.dirname(ORDER), exist_ok=True)
        with open(ORDER, "w") as f:
            f.write("# Written by bench/link_order.py; read by build.rs. Functions a plugin start, then\n"
                    "# a terraform apply/destroy ran, first-run first. Regenerate after dependency or\n"
                    "# release-profile changes.\n")
            for n in first + rest:
                f.write(n + "\n")
        kib = lambda names: sum(size[n] for n in names) / 1024
        print(f"==> {ORDER}: {len(first)} start-up functions ({kib(first):.0f} KiB), "
              f"{len(rest)} more from the Terraform run ({kib(rest):.0f} KiB)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
