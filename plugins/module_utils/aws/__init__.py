# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to AWS: the boto3 session and its clients, botocore's service model, and the one
classification of AWS errors used everywhere.
"""
