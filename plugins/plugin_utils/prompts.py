# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Questions to the person at the terminal, asked from an action exactly as ansible.builtin.pause asks them.

``Display().prompt_until`` is what the pause action calls: from a forked worker the question goes to the
controller, which owns the terminal, and the answer comes back. The prompt reads as pause's does
(``[task name]`` then the question and a colon). Ctrl-C at a question is caught here, as pause catches
it, and pause's own follow-up is asked ("Press 'C' to continue ... or 'A' to abort"); either key ends
the question with no answer (None), so the run stops as the person chose and still writes its journal,
its report and its closing line, instead of Ansible's bare "user requested abort!".
"""

from __future__ import annotations

from ansible.errors import AnsiblePromptInterrupt, AnsiblePromptNoninteractive
from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display

INTERRUPTED = "Press 'C' to continue the play or 'A' to abort \r"


def prompter(task_name, display=None):
    """A function that asks one question (the text, without the colon) and returns the answer, or None."""
    display = display or Display()

    def ask(question):
        try:
            return to_text(display.prompt_until("[%s]\n%s:" % (task_name.strip(), question)), errors="surrogate_or_strict")
        except AnsiblePromptNoninteractive:
            return None  # nobody at a terminal after all: no answer is not a yes
        except AnsiblePromptInterrupt:
            pass
        try:
            display.prompt_until(INTERRUPTED, interrupt_input=(b"a",), complete_input=(b"c",))
        except AnsiblePromptInterrupt:
            pass
        return None

    return ask
