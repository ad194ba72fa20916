"""`do-envsync completion bash|zsh|fish`: a completion script generated from the parser.

Generated here rather than with shtab: shtab has no fish output, and walking our own argparse
tree keeps the three scripts in step with the commands without a runtime dependency. zsh
reuses the bash function through zsh's `bashcompinit`.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterator
from typing import Any

__all__ = ["register", "script"]

SHELLS = ("bash", "zsh", "fish")


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(p: argparse.ArgumentParser) -> Iterator[tuple[str, list[str]]]:
    """(option string, choices) for every option of `p`."""
    for action in p._actions:
        for opt in action.option_strings:
            yield opt, [str(c) for c in action.choices or ()]


def _positional_choices(p: argparse.ArgumentParser) -> list[str]:
    """Fixed values of positional arguments (e.g. `completion`'s shell)."""
    return [
        str(c)
        for action in p._actions
        if not action.option_strings and not isinstance(action, argparse._SubParsersAction)
        for c in action.choices or ()
    ]


def _walk(
    p: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, p
    for name, child in _subparsers(p).items():
        yield from _walk(child, (*path, name))


def _bash(root: argparse.ArgumentParser) -> str:
    words, choices = [], []
    for path, p in _walk(root):
        # Keys start with the command's name: bash refuses an empty array subscript.
        key = " ".join(("do-envsync", *path))
        items = [*_subparsers(p), *_positional_choices(p), *(o for o, _ in _options(p))]
        words.append(f"        [{shlex.quote(key)}]={shlex.quote(' '.join(items))}")
        for opt, values in _options(p):
            if values:
                choices.append(
                    f"        [{shlex.quote(f'{key} {opt}')}]={shlex.quote(' '.join(values))}"
                )
    return "\n".join(
        [
            "# do-envsync bash completion: source it, or save it as",
            "# ~/.local/share/bash-completion/completions/do-envsync",
            "_do_envsync() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
            "    local path=do-envsync i w",
            "    local -A words=(",
            *words,
            "    )",
            "    local -A choices=(",
            *choices,
            "    )",
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            '        w="${COMP_WORDS[i]}"',
            '        if [[ -n "${words["$path $w"]+x}" ]]; then path="$path $w"; fi',
            "    done",
            '    if [[ -n "${choices["$path $prev"]+x}" ]]; then',
            '        COMPREPLY=($(compgen -W "${choices["$path $prev"]}" -- "$cur"))',
            "    else",
            '        COMPREPLY=($(compgen -W "${words["$path"]}" -- "$cur"))',
            "    fi",
            "}",
            "complete -o default -F _do_envsync do-envsync",
            "",
        ]
    )


def _zsh(root: argparse.ArgumentParser) -> str:
    return (
        "#compdef do-envsync\n"
        "# do-envsync zsh completion (the bash function through bashcompinit): source it, or\n"
        "# save it as _do-envsync in a directory of $fpath\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash(root)
    )


def _fish(root: argparse.ArgumentParser) -> str:
    lines = [
        "# do-envsync fish completion: save it as ~/.config/fish/completions/do-envsync.fish",
        "complete -c do-envsync -f",
    ]
    for path, p in _walk(root):
        seen = "; and ".join(f"__fish_seen_subcommand_from {shlex.quote(w)}" for w in path)
        subs = _subparsers(p)
        if subs:
            cond = seen if path else "__fish_use_subcommand"
            if path:
                cond += "; and not __fish_seen_subcommand_from " + " ".join(
                    shlex.quote(s) for s in subs
                )
            lines.append(
                f"complete -c do-envsync -n {shlex.quote(cond)} -a {shlex.quote(' '.join(subs))}"
            )
        cond = seen or "true"
        if path and _positional_choices(p):
            fixed = " ".join(_positional_choices(p))
            lines.append(f"complete -c do-envsync -n {shlex.quote(cond)} -a {shlex.quote(fixed)}")
        for opt, values in _options(p):
            flag = f"-l {opt[2:]}" if opt.startswith("--") else f"-s {opt[1:]}"
            extra = f" -xa {shlex.quote(' '.join(values))}" if values else ""
            lines.append(f"complete -c do-envsync -n {shlex.quote(cond)} {flag}{extra}")
    return "\n".join(lines) + "\n"


def script(root: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for `shell` (bash, zsh or fish)."""
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](root)


def register(sub: Any, root: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="e.g. `source <(do-envsync completion bash)`; "
        "`do-envsync completion fish > ~/.config/fish/completions/do-envsync.fish`",
    )
    p.add_argument("shell", choices=SHELLS)

    def run(args: argparse.Namespace) -> int:
        print(script(root, args.shell), end="")
        return 0

    p.set_defaults(func=run)
