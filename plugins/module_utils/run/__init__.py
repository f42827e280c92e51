# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run's execution and state: the executor and step runner, the journal, locks and the
report and change log built from the journal.
"""
