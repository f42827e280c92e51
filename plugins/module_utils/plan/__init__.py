# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: reading plan files as plain data, the schema, references, the digest and
approval, writing approvals, and the aws CLI lines a plan is written in and shown as.
"""
