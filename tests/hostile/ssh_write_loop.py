"""Driver for test_ssh_key_lifetime: SSH writes in a loop, as `run` makes them. Not a test module.

`python ssh_write_loop.py URL KEY_FILE KNOWN_HOSTS_FILE WORKDIR [ROUNDS]` holds the workdir's
lock (as `run` does), then writes a new value to one file of the repository at URL on every
round (fetch, commit, push over SSH with the key), printing `round N` after each: forever, or
ROUNDS times. The test kills it with SIGKILL at chosen moments.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from image_updater.writeback import workdir
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import SshKeyAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_repo import GitRepoCache


async def main(url: str, key: Path, known_hosts: Path, work: Path, rounds: int | None) -> None:
    writer = GitWriter(cache=GitRepoCache(work))
    auth = SshKeyAuth(private_key=key.read_bytes(), known_hosts=known_hosts.read_text())
    async with workdir.hold(work, wait=60, on_wait=print, on_unusable=print):
        print("ready", flush=True)
        for n in itertools.islice(itertools.count(), rounds):
            await writer.write(
                repo_url=url,
                branch=TargetBranch(base="main"),
                auth=auth,
                edits={"counter.txt": lambda _, n=n: f"{n}\n"},
                message=f"round {n}",
            )
            print(f"round {n}", flush=True)


if __name__ == "__main__":
    url, key, known_hosts, work, *rounds = sys.argv[1:]
    asyncio.run(main(url, Path(key), Path(known_hosts), Path(work), int(rounds[0]) if rounds else None))
