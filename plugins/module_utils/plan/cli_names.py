# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the aws CLI's names: services it calls differently, its global options, and
the options it renames. Used by aws_cli to parse and render command lines."""

from __future__ import annotations

CLI_SERVICES = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy",
                "runtime.sagemaker": "sagemaker-runtime"}
BOTOCORE_TO_CLI = {"s3": "s3api", "config": "configservice", "codedeploy": "deploy"}
# CLI options that belong to the target (who, where, how to print), never to a plan.
GLOBAL_OPTIONS = frozenset((
    "profile", "region", "endpoint-url", "output", "query", "no-verify-ssl", "ca-bundle", "cli-input-json",
    "cli-input-yaml", "generate-cli-skeleton", "debug", "no-paginate", "page-size", "max-items", "starting-token",
    "color", "no-sign-request", "cli-read-timeout", "cli-connect-timeout", "cli-binary-format", "no-cli-pager",
    "cli-auto-prompt", "version", "v2-debug"))
READS_ELSEWHERE = ("file://", "fileb://", "http://", "https://")
COMPLEX = ("structure", "map", "list")
# Options the CLI renames, mostly where the API name would clash with one of its own options (--version,
# --query, --output, --region). A line: CLI service, then old>new, for every operation of the service
# unless followed by @operation,operation (a specific operation wins over the service-wide rename).
_RENAMES_TEXT = """
ec2 no-egress>ingress no-disable-api-termination>enable-api-termination no-no-reboot>reboot@create-image
ecs no-enable-execute-command>disable-execute-command no-interactive>non-interactive
emr job-flow-ids>cluster-ids job-flow-id>cluster-id
eks version>kubernetes-version
sns endpoint>notification-endpoint
glue region>resource-region
stepfunctions output>task-output
apigateway version>api-version
apigatewayv2 version>api-version
route53 version>traffic-policy-version
codepipeline version>action-version version>pipeline-version@get-pipeline
sagemaker version>version-number
controltower version>landing-zone-version
datapipeline query>objects-query version>pipeline-version
cloudsearchdomain query>search-query@search query>suggest-query@suggest
workdocs endpoint>notification-endpoint query>user-query
mturk query>types-query
kinesisanalytics output>application-output
kinesisanalyticsv2 output>application-output
rekognition output>stream-processor-output
route53domains start>start-time end>end-time
iotwireless lo-ra-wan>lorawan
swf version>activity-version@register-activity-type version>workflow-version@register-workflow-type
gamelift version>build-version@create-build,update-build version>script-version@create-script,update-script
clouddirectory version>schema-version
pinpoint version>template-version version>campaign-version@get-campaign-version
pinpoint version>segment-version@get-segment-version
lex-models version>intent-version@get-intent,delete-intent-version version>bot-version@delete-bot-version
lex-models version>slot-type-version@get-slot-type,delete-slot-type-version version>resource-version@get-export
license-manager version>grant-version version>license-version@get-license
"""


def _read_renames(text):
    """``{(cli service, cli operation or '*', old option): new option}``."""
    renames = {}
    for service, *entries in (line.split() for line in text.strip().splitlines()):
        for entry in entries:
            rename, _at, operations = entry.partition("@")
            old, new = rename.split(">")
            renames.update({(service, operation, old): new for operation in (operations or "*").split(",")})
    return renames


ARGUMENT_RENAMES = _read_renames(_RENAMES_TEXT)
