"""The ``labelapp`` command: run everything, or one part, or maintenance.

labelapp run       set up, then serve the web app and a worker together (Ctrl-C stops both)
labelapp setup     migrate, collect static files, create the first admin account
labelapp web       the web server alone (gunicorn)
labelapp worker    a Celery worker alone
labelapp manage …  any Django management command
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelapp.settings")


def _django_setup() -> None:
    import django

    django.setup()


def setup() -> None:
    from django.core.management import call_command

    _django_setup()
    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("ensure_admin")


def web_command(bind: str, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "labelapp.wsgi:application",
        "--bind", bind, "--workers", str(workers), "--threads", "4",
        "--timeout", "300", "--graceful-timeout", "10", "--access-logfile", "-",
        "--no-control-socket",
    ]  # fmt: skip


def worker_command(queues: str, concurrency: int, name: str) -> list[str]:
    """Without mingle and gossip: cancelling is a flag on the Job row, not a Celery revoke
    that workers would share, and the health check pings through the broker. Mingle alone
    cost a second of every worker's start (4.3 s in all)."""
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
        "--queues", queues, "--pool", "threads", "--concurrency", str(concurrency),
        "--hostname", name, "--loglevel", "INFO", "--without-mingle", "--without-gossip",
    ]  # fmt: skip


def supervise(commands: Sequence[list[str]]) -> int:
    """Start every command; when one ends or Ctrl-C arrives, stop the others cleanly."""
    children = [subprocess.Popen(command) for command in commands]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0 if stopping else max(child.returncode or 0 for child in children)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labelapp", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="set up, then serve the web app and a worker")
    run.add_argument("--bind", default=os.environ.get("LABELAPP_BIND", "127.0.0.1:8000"))
    run.add_argument("--web-workers", type=int, default=2)
    run.add_argument("--worker-concurrency", type=int, default=2)
    commands.add_parser("setup", help="migrate, collect static files, create the admin")
    web = commands.add_parser("web", help="the web server alone")
    web.add_argument("--bind", default=os.environ.get("LABELAPP_BIND", "127.0.0.1:8000"))
    web.add_argument("--workers", type=int, default=4)
    worker = commands.add_parser("worker", help="a Celery worker alone")
    worker.add_argument("--queues", default="default,gpu", help="comma-separated queue names")
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--name", default="worker@%h")
    manage = commands.add_parser("manage", help="a Django management command")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command == "setup":
        setup()
        return 0
    if args.command == "run":
        setup()
        print(f"labelapp is starting on http://{args.bind}/  (Ctrl-C stops it)", flush=True)
        return supervise(
            [
                web_command(args.bind, args.web_workers),
                worker_command("default,gpu", args.worker_concurrency, "worker@%h"),
            ]
        )
    if args.command == "web":
        os.execv(sys.executable, web_command(args.bind, args.workers))
    if args.command == "worker":
        os.execv(sys.executable, worker_command(args.queues, args.concurrency, args.name))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["labelapp", *args.arguments])
    return 0


if __name__ == "__main__":
    sys.exit(main())
