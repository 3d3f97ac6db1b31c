"""Installs one client library from this checkout into a scratch project,
exactly as its README says, and runs the README's quick start against a real
``docsapi serve``: the proof behind "install from a checkout, offline".

    python3 clients/scripts/install_check.py go|python|typescript

The server is $DOCSAPI_BIN when set, else built from the repository. The
quick start is the code block after the README's ``<!-- quickstart: FILE -->``
marker, written to FILE unchanged; it must print a line "created res_... in
request req_..." and then "Missing: name". Nothing is fetched from PyPI or
the Go module proxy; npm is used only for TypeScript's own build tools.
"""

import os
import re
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent.parent
REPO = CLIENTS.parent
EXPECTED = re.compile(r"\Acreated res_[0-9A-Za-z]+ in request req_[0-9A-Za-z]{10,24}\nMissing: name\n\Z")


def run(cmd, cwd, env=None):
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit("failed (%d):\n%s" % (result.returncode, result.stdout))
    return result.stdout


def quickstart(language):
    """The README's quick start: (file name, code)."""
    readme = (CLIENTS / language / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- quickstart: (\S+) -->\n```\w*\n(.*?)\n```\n", readme, re.S)
    if match is None:
        sys.exit("clients/%s/README.md has no <!-- quickstart: FILE --> block" % language)
    return match.group(1), match.group(2) + "\n"


def start_server(tmp):
    binary = os.environ.get("DOCSAPI_BIN")
    if not binary:
        binary = str(tmp / "docsapi")
        run(["go", "build", "-o", binary, "./cmd/docsapi"], REPO)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        addr = "127.0.0.1:%d" % s.getsockname()[1]
    key = "sk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSAPI_")}
    env.update(DOCSAPI_ADDR=addr, DOCSAPI_DATABASE_URL=str(tmp / "docsapi.db"), DOCSAPI_ROOT_KEY=key)
    log = open(tmp / "server.log", "wb")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen("http://%s/healthz" % addr, timeout=1) as resp:
                if resp.status == 200:
                    return server, "http://" + addr, key
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            sys.exit("docsapi serve did not start:\n" + (tmp / "server.log").read_text(errors="replace"))
        time.sleep(0.1)


def check_output(out, what):
    if not EXPECTED.match(out):
        sys.exit("%s printed:\n%s\nwant 'created res_... in request req_...' then 'Missing: name'" % (what, out))
    print("ok: " + what, flush=True)


def go(project, env):
    name, code = quickstart("go")
    (project / name).write_text(code, encoding="utf-8")
    # The README's recipe, a require and a replace directive to the
    # checkout. GOPROXY=off proves that no proxy is asked, so that the
    # recipe works whatever proxy a user has: `go get`, the recipe before,
    # asked it, and failed for a newcomer although it passed here.
    env = dict(env, GOPROXY="off")
    run(["go", "mod", "init", "example.com/quickstart"], project, env)
    run(["go", "mod", "edit", "-require", "github.com/docsapi/docsapi/clients/go@v0.0.0",
         "-replace", "github.com/docsapi/docsapi/clients/go=" + str(CLIENTS / "go")], project, env)
    check_output(run(["go", "run", "."], project, env), "go run . (replace)")


def python(project, env):
    name, code = quickstart("python")
    (project / name).write_text(code, encoding="utf-8")
    run([sys.executable, "-m", "venv", ".venv"], project, env)
    pip = project / ".venv" / "bin" / "pip"
    # --no-index: nothing may come from PyPI, not even a build backend.
    run([pip, "install", "--no-index", "--no-cache-dir", str(CLIENTS / "python")], project, env)
    check_output(run([project / ".venv" / "bin" / "python", name], project, env), "python %s (pip install --no-index)" % name)


def typescript(project, env):
    name, code = quickstart("typescript")
    source = CLIENTS / "typescript"
    quiet = ["--no-audit", "--no-fund"]
    # Linked (npm's default for a folder), copied (--install-links), and packed:
    # each must build dist/ by itself, from a checkout that has none yet.
    for how, args in [("linked", [str(source)]), ("copied", ["--install-links", str(source)]), ("packed", None)]:
        shutil.rmtree(source / "dist", ignore_errors=True)
        app = project / how
        app.mkdir()
        (app / name).write_text(code, encoding="utf-8")
        run(["npm", "init", "-y"], app, env)
        if args is None:
            tarball = run(["npm", "pack", "--silent", "--pack-destination", str(app), str(source)], app, env).strip().splitlines()[-1]
            args = ["./" + tarball]
        run(["npm", "install", *quiet, *args], app, env)
        check_output(run(["node", name], app, env), "node %s (npm install, %s)" % (name, how))


def main():
    language = sys.argv[1] if len(sys.argv) == 2 else ""
    steps = {"go": go, "python": python, "typescript": typescript}
    if language not in steps:
        sys.exit("usage: install_check.py go|python|typescript")
    tmp = Path(tempfile.mkdtemp(prefix="docsapi-install-%s-" % language))
    server = None
    try:
        server, url, key = start_server(tmp)
        project = tmp / "project"
        project.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSAPI_")}
        env.update(DOCSAPI_API_KEY=key, DOCSAPI_BASE_URL=url)
        steps[language](project, env)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
