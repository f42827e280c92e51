# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the bash a planner writes around aws CLI lines, as bash would split it, without running anything.

A block is read command by command, the way bash reads a script: ``#`` comments, ``\\`` line
continuations, single and double quotes (a quoted value may span lines), ``$NAME`` and ``${NAME}``.
One form of command substitution is read: ``NAME=$(aws ...)`` (or ``NAME="$(aws ...)"``) as the whole
command. Whatever else a shell would do, other than splitting words, is refused with the line it is
on: pipes, ``&&``/``||``/``;``/``&``, redirections, subshells, other substitutions, special parameters
and ``${NAME...}`` operators, and unquoted patterns a shell would expand (``*``, ``?``, ``[``, ``{a,b}``,
``~``). Nothing is evaluated: a word is a list of text and variable parts (``Var``), which the caller
turns into plan references.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ANGLE_PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9 _/-]*>")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_OPERATORS = {
    "|": "a pipe ('|')", "&": "'&' ('&&' or a background job)", ";": "';' (several commands on one line)",
    "<": "a redirection ('<')", ">": "a redirection ('>')", "(": "a subshell ('(')", ")": "')'",
    "`": "command substitution with backquotes",
}
_GLOBS = "*?["
_CONTROL_WORDS = ("if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
                  "function", "select", "{", "}", "!", "[[", "]]")


class ShellError(ValueError):
    """Something in the block that is not a plain aws CLI line; ``line`` is where it is (1-based)."""

    def __init__(self, line, message):
        super().__init__(message)
        self.line = line


class Var:
    """``$NAME`` or ``${NAME}`` inside a word."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Var) and other.name == self.name

    def __repr__(self):
        return "Var(%r)" % self.name


class Command:
    """One command of a block: ``words`` (each a list of str and Var parts), ``assign`` (NAME of
    ``NAME=$(...)``, else None), ``line`` (its first line), ``comment`` (the comment lines right above it)."""

    __slots__ = ("words", "assign", "line", "comment")

    def __init__(self, words, assign, line, comment):
        self.words, self.assign, self.line, self.comment = words, assign, line, comment


def read_commands(text, first_line=1, problems=None):
    """The commands of a bash block (``first_line`` is the block's first line in its file).

    The first ShellError is raised; with a ``problems`` list, each is added to it instead and reading goes
    on at the next line that starts a command, so that one pass reports them all."""
    return _Reader(text, first_line, problems).commands()


class _Reader:
    def __init__(self, text, first_line, problems=None):
        self.text, self.pos, self.first, self.problems = text, 0, first_line, problems
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, pos=None):
        pos = self.pos if pos is None else pos
        return self.first + sum(1 for start in self.starts[1:] if start <= pos)

    def fail(self, message, pos=None):
        raise ShellError(self.line(pos), message)

    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    # -- commands -------------------------------------------------------------------------------------------
    def commands(self):
        found, comment = [], []
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r":
                self.pos += 1
            elif char == "\n":
                if self._blank_line_ends_here():
                    comment = []  # a comment belongs to the command right below it
                self.pos += 1
            elif char == "#":
                comment.append(self._comment())
            elif char == "\\" and self.peek(1) == "\n":
                self.pos += 2
            else:
                self._one_command(found, " ".join(c for c in comment if c))
                comment = []
        return found

    def _one_command(self, found, comment):
        try:
            found.append(self._command(comment))
        except ShellError as exc:
            if self.problems is None:
                raise
            self.problems.append(exc)
            self._skip_past(exc.line)

    def _skip_past(self, line):
        """Go on at the first line after ``line`` that does not continue it (``\\`` at the end)."""
        index = line - self.first + 1
        while index < len(self.starts) and self.text[:self.starts[index]].rstrip("\n").endswith("\\"):
            index += 1
        self.pos = self.starts[index] if index < len(self.starts) else len(self.text)

    def _blank_line_ends_here(self):
        start = self.text.rfind("\n", 0, self.pos) + 1
        return not self.text[start:self.pos].strip()

    def _comment(self):
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end
        text = self.text[self.pos + 1:end].strip()
        self.pos = end
        return text

    def _command(self, comment):
        start = self.pos
        match = _ASSIGNMENT.match(self.text, self.pos)
        if match:
            return self._assignment(match, comment)
        words = self._words(start, inside=False)
        self._check_command(words, start)
        return Command(words, None, self.line(start), comment)

    def _assignment(self, match, comment):
        start = self.pos
        self.pos = match.end()
        quoted = self.text.startswith('"$(', self.pos)
        if not (quoted or self.text.startswith("$(", self.pos)) or self.text.startswith("$((", self.pos):
            self.fail("%s=...: a shell variable is read only as %s=$(aws ... --query '...' --output text); write the "
                      "value itself where it is used" % (match.group(1), match.group(1)), start)
        self.pos += 3 if quoted else 2
        words = self._words(start, inside=True)
        if quoted:
            if self.peek() != '"':
                self.fail('%s="$(...)": the closing \'"\' must follow the \')\'' % match.group(1))
            self.pos += 1
        self._end_of_command(start)
        self._check_command(words, start)
        return Command(words, match.group(1), self.line(start), comment)

    def _end_of_command(self, start):
        while self.peek() in (" ", "\t", "\r"):
            self.pos += 1
        if self.peek() == "#":
            self._comment()
        if self.peek() not in ("", "\n"):
            self.fail("nothing may follow the closing ')' of %s: one assignment is one command"
                      % self.text[start:self.text.find("=", start) + 1].strip())

    def _check_command(self, words, start):
        if not words:
            self.fail("an empty command substitution", start)
        first = "".join(part if isinstance(part, str) else "$" + part.name for part in words[0])
        if first in _CONTROL_WORDS:
            self.fail("'%s': loops, conditionals and groups of commands are not read; write each aws call as "
                      "a line of its own" % first, start)
        if first != "aws":
            what = "jq, which filters JSON output" if first == "jq" else repr(first)
            self.fail("only aws CLI commands are read, not %s; a command starts with 'aws'" % what, start)

    # -- words ----------------------------------------------------------------------------------------------
    def _words(self, start, inside):
        """Words up to the end of the command (or the ')' of ``$(...)`` when ``inside``)."""
        words = []
        while True:
            while self.peek() in (" ", "\t", "\r"):
                self.pos += 1
            char = self.peek()
            if char == "\\" and self.peek(1) == "\n":
                self.pos += 2
            elif char == "":
                if inside:
                    self.fail("$( without its closing ')'", start)
                return words
            elif char == "\n":
                if not inside:
                    return words
                self._newline_inside()
            elif char == "#":
                self._comment()
            elif inside and char == ")":
                self.pos += 1
                return words
            else:
                words.append(self._word(inside))

    def _newline_inside(self):
        """Inside $(...) a newline separates commands, unless only the closing ')' follows."""
        rest = self.text[self.pos:]
        if not rest.lstrip(" \t\r\n").startswith(")"):
            self.fail("several commands inside $(...): one aws call per substitution",
                      self.pos + len(rest) - len(rest.lstrip(" \t\r\n")))
        self.pos += len(rest) - len(rest.lstrip(" \t\r\n"))

    def _word(self, inside):
        """One word: its parts (str and Var); ``inside`` a $(...), an unquoted ')' ends it."""
        start, chars = self.pos, []  # chars: (character or Var, quoted)
        while True:
            char = self.peek()
            if char in ("", " ", "\t", "\r", "\n") or char == ")" and inside:
                break
            if char == "\\":
                if self.peek(1) == "\n":
                    self.pos += 2
                    continue
                chars.append((self.peek(1), True))
                self.pos += 2
            elif char == "'":
                chars.extend((c, True) for c in self._single_quoted())
            elif char == '"':
                chars.extend(self._double_quoted())
            elif char == "$":
                chars.append((self._dollar(quoted=False), False))
            elif char == "<" and _ANGLE_PLACEHOLDER.match(self.text, self.pos):
                self.fail("unresolved placeholder %s: fill in the value (or set it with NAME=$(aws ...) and use "
                          "$NAME)" % _ANGLE_PLACEHOLDER.match(self.text, self.pos).group())
            elif char in _OPERATORS:
                self.fail("%s is not read: each aws call is a line of its own, with no shell around it" % (
                    _OPERATORS[char]))
            else:
                chars.append((char, False))
                self.pos += 1
        self._check_expansions(chars, start)
        return _parts(chars)

    def _single_quoted(self):
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            self.fail("a quote (') is not closed")
        text = self.text[self.pos + 1:end]
        self.pos = end + 1
        return text

    def _double_quoted(self):
        start, chars = self.pos, []
        self.pos += 1
        while True:
            char = self.peek()
            if char == "":
                self.fail('a quote (") is not closed', start)
            if char == '"':
                self.pos += 1
                return chars
            if char == "\\" and self.peek(1) in ("$", "`", '"', "\\", "\n"):
                if self.peek(1) != "\n":
                    chars.append((self.peek(1), True))
                self.pos += 2
            elif char == "$":
                chars.append((self._dollar(quoted=True), True))
            elif char == "`":
                self.fail(_OPERATORS["`"] + " is not read: a shell variable is set only by NAME=$(aws ...)")
            else:
                chars.append((char, True))
                self.pos += 1

    def _dollar(self, quoted):
        """``$NAME`` or ``${NAME}`` -> Var; a lone ``$`` is text; anything else a shell expands is refused."""
        after = self.peek(1)
        if after == "{":
            end = self.text.find("}", self.pos)
            inner = self.text[self.pos + 2:end] if end > 0 else ""
            if end > 0 and _NAME.fullmatch(inner):
                self.pos = end + 1
                return Var(inner)
            self.fail("${%s}: only $NAME and ${NAME} are read, no ${...} operators" % inner.split("}")[0])
        match = _NAME.match(self.text, self.pos + 1)
        if match:
            self.pos = match.end()
            return Var(match.group())
        if after == "(":
            self.fail("command substitution is read only as a whole command: NAME=$(aws ... --query '...' "
                      "--output text)")
        if after in ("'", '"') and not quoted:
            self.fail("$%s...%s quoting is not read; use plain quotes" % (after, after))
        if after and (after.isdigit() or after in "?!#@*$-"):
            self.fail("$%s: special shell parameters are not read" % after)
        self.pos += 1
        return "$"

    def _check_expansions(self, chars, start):
        """Unquoted patterns a shell would expand into something else than the word as written."""
        text = "".join(c if isinstance(c, str) else "$..." for c, _quoted in chars)
        plain = [(c, quoted) for c, quoted in chars if isinstance(c, str)]
        for index, (char, quoted) in enumerate(plain):
            if quoted:
                continue
            if char in _GLOBS:
                self.fail("%r: unquoted %s is a file name pattern a shell would expand; quote the value" % (
                    text, char), start)
            if char == "~" and (index == 0 or _assignment_like(plain, index)):
                self.fail("%r: an unquoted ~ is a home directory a shell would expand; quote the value" % text,
                          start)
        if _brace_expansion(plain):
            self.fail("%r: unquoted {a,b} or {a..b} is expanded by a shell into several words; quote the value"
                      % text, start)


def _assignment_like(plain, index):
    """bash expands a tilde right after the first '=' (or a ':') of a word that looks like an assignment."""
    prefix = "".join(c for c, _quoted in plain[:index])
    head = prefix.split("=", 1)[0]
    return "=" in prefix and _NAME.fullmatch(head) is not None and prefix[-1] in "=:"


def _brace_expansion(plain):
    depth_starts = []
    for index, (char, quoted) in enumerate(plain):
        if quoted:
            continue
        if char == "{":
            depth_starts.append(index)
        elif char == "}" and depth_starts:
            opened = depth_starts.pop()
            unquoted = "".join(c if not q else "\0" for c, q in plain[opened + 1:index])
            if "," in unquoted or ".." in unquoted:
                return True
    return False


def _parts(chars):
    parts = []
    for char, _quoted in chars:
        if isinstance(char, Var):
            parts.append(char)
        elif parts and isinstance(parts[-1], str):
            parts[-1] += char
        else:
            parts.append(char)
    return parts
