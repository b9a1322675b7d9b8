"""Driver for test_ssh_key_lifetime: SSH writes in a loop until killed. Not a test module.

`python ssh_write_loop.py URL KEY_FILE KNOWN_HOSTS_FILE WORKDIR` writes a new value to one file
of the repository at URL on every round (fetch, commit, push over SSH with the key), printing
`round N` after each, forever. The test kills it with SIGKILL at chosen moments.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import SshKeyAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_repo import GitRepoCache


async def main(url: str, key: Path, known_hosts: Path, workdir: Path) -> None:
    writer = GitWriter(cache=GitRepoCache(workdir))
    auth = SshKeyAuth(private_key=key.read_bytes(), known_hosts=known_hosts.read_text())
    for n in itertools.count():
        await writer.write(
            repo_url=url,
            branch=TargetBranch(base="main"),
            auth=auth,
            edits={"counter.txt": lambda _, n=n: f"{n}\n"},
            message=f"round {n}",
        )
        print(f"round {n}", flush=True)


if __name__ == "__main__":
    url, key, known_hosts, workdir = sys.argv[1:]
    print("ready", flush=True)
    asyncio.run(main(url, Path(key), Path(known_hosts), Path(workdir)))
