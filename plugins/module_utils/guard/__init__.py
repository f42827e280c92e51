# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The non-production guard: the environments file, classifying an account, establishing
the caller's identity and deciding whether a plan may run there.
"""
