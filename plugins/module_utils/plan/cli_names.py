# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the aws CLI v1's command lines, as data: service names, global options, renamed and
aliased options, the parameters whose URL values it passes as text, and its small per-operation
customisations. plan/cli.py reads command lines with them, without importing awscli.

The tables mirror awscli 1.46 (awscli/customizations/argrename.py, awscli/paramfile.py,
awscli/argprocess.py, awscli/customizations/ec2/...); tests/unit/plugins/module_utils/plan/
test_cli_names.py compares them with the installed awscli, so a CLI upgrade that changes them fails
a test instead of silently reading lines differently.
"""

from __future__ import annotations

CLI_SERVICES = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy",
                "runtime.sagemaker": "sagemaker-runtime"}
BOTOCORE_TO_CLI = {"s3": "s3api", "config": "configservice", "codedeploy": "deploy"}
# The CLI's global options (awscli/data/cli.json): name -> the choices of its value, () for any value,
# None for a switch that takes none. Its main parser reads them anywhere on the line and also takes any
# unambiguous prefix of one (argparse); plan/cli_globals.py reads them the same way.
GLOBAL_OPTIONS = {
    "ca-bundle": (), "cli-connect-timeout": (), "cli-read-timeout": (), "color": ("on", "off", "auto"),
    "debug": None, "endpoint-url": (), "no-paginate": None, "no-sign-request": None, "no-verify-ssl": None,
    "output": ("json", "text", "table"), "profile": (), "query": (), "region": (), "v2-debug": None,
    "version": None}
# Global options of the CLI v2 that planners write (v1 does not know them): read by their full name only.
V2_GLOBAL_OPTIONS = {"no-cli-pager": None, "cli-binary-format": (), "cli-auto-prompt": None,
                     "no-cli-auto-prompt": None}
# Output formats the CLI v2 adds; --output only changes how the answer is shown, so a v2 line is read too.
V2_OUTPUTS = ("yaml", "yaml-stream")
# Options the CLI adds to every operation for itself: input and skeleton files (never in a plan).
INPUT_OPTIONS = frozenset(("cli-input-json", "cli-input-yaml", "generate-cli-skeleton"))
# Options the CLI adds to paginated operations; it pages itself and sends none of them as they are.
PAGING_OPTIONS = frozenset(("starting-token", "page-size", "max-items"))
# Values the CLI replaces by a file's or a URL's content (awscli/paramfile.py, case-sensitive there).
READS_FILE = ("file://", "fileb://")
READS_URL = ("http://", "https://")
COMPLEX = ("structure", "map", "list")
# Lists of one-member structures that the CLI still reads from plain words (argprocess.py):
# ``--instances i-1 i-2`` -> [{"InstanceId": "i-1"}, {"InstanceId": "i-2"}]. Key: service id, operation.
OLD_LIST_CASE = {
    ("firehose", "put-record-batch"): "records",
    ("workspaces", "reboot-workspaces"): "reboot-workspace-requests",
    ("workspaces", "rebuild-workspaces"): "rebuild-workspace-requests",
    ("workspaces", "terminate-workspaces"): "terminate-workspace-requests",
    ("elastic-load-balancing", "remove-tags"): "tags",
    ("elastic-load-balancing", "describe-instance-health"): "instances",
    ("elastic-load-balancing", "deregister-instances-from-load-balancer"): "instances",
    ("elastic-load-balancing", "register-instances-with-load-balancer"): "instances",
}
# ec2 create/replace-network-acl-entry --protocol: names the CLI sends as numbers.
NETWORK_ACL_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}
# CLI-only operation names: (cli service, command) -> (operation, option the command removes).
CLI_ONLY_OPERATIONS = {
    ("rds", "add-option-to-option-group"): ("ModifyOptionGroup", "options-to-remove"),
    ("rds", "remove-option-from-option-group"): ("ModifyOptionGroup", "options-to-include"),
}

# Renamed options (the API name would clash with a global option or reads badly), one per line:
# "<cli service>.<cli operation or *> <old>><new>" (awscli/customizations/argrename.py).
_RENAMES_TEXT = """
ec2.create-image no-no-reboot>reboot
ec2.* no-egress>ingress
ec2.* no-disable-api-termination>enable-api-termination
swf.register-activity-type version>activity-version
swf.register-workflow-type version>workflow-version
datapipeline.* query>objects-query
datapipeline.get-pipeline-definition version>pipeline-version
emr.* job-flow-ids>cluster-ids
emr.* job-flow-id>cluster-id
cloudsearchdomain.search query>search-query
cloudsearchdomain.suggest query>suggest-query
sns.subscribe endpoint>notification-endpoint
deploy.* s-3-location>s3-location
deploy.* ec-2-tag-filters>ec2-tag-filters
codepipeline.get-pipeline version>pipeline-version
codepipeline.create-custom-action-type version>action-version
codepipeline.delete-custom-action-type version>action-version
kinesisanalytics.add-application-output output>application-output
kinesisanalyticsv2.add-application-output output>application-output
route53.delete-traffic-policy version>traffic-policy-version
route53.get-traffic-policy version>traffic-policy-version
route53.update-traffic-policy-comment version>traffic-policy-version
gamelift.create-build version>build-version
gamelift.update-build version>build-version
gamelift.create-script version>script-version
gamelift.update-script version>script-version
route53domains.view-billing start>start-time
route53domains.view-billing end>end-time
apigateway.create-rest-api version>api-version
apigatewayv2.create-api version>api-version
apigatewayv2.update-api version>api-version
pinpoint.get-campaign-version version>campaign-version
pinpoint.get-segment-version version>segment-version
pinpoint.delete-email-template version>template-version
pinpoint.delete-in-app-template version>template-version
pinpoint.delete-push-template version>template-version
pinpoint.delete-sms-template version>template-version
pinpoint.delete-voice-template version>template-version
pinpoint.get-email-template version>template-version
pinpoint.get-in-app-template version>template-version
pinpoint.get-push-template version>template-version
pinpoint.get-sms-template version>template-version
pinpoint.get-voice-template version>template-version
pinpoint.update-email-template version>template-version
pinpoint.update-in-app-template version>template-version
pinpoint.update-push-template version>template-version
pinpoint.update-sms-template version>template-version
pinpoint.update-voice-template version>template-version
stepfunctions.send-task-success output>task-output
clouddirectory.publish-schema version>schema-version
mturk.list-qualification-types query>types-query
workdocs.create-notification-subscription endpoint>notification-endpoint
workdocs.describe-users query>user-query
lex-models.delete-bot version>bot-version
lex-models.delete-intent version>intent-version
lex-models.delete-slot-type version>slot-type-version
lex-models.get-intent version>intent-version
lex-models.get-slot-type version>slot-type-version
lex-models.delete-bot-version version>bot-version
lex-models.delete-intent-version version>intent-version
lex-models.delete-slot-type-version version>slot-type-version
lex-models.get-export version>resource-version
license-manager.get-grant version>grant-version
license-manager.delete-grant version>grant-version
license-manager.get-license version>license-version
rekognition.create-stream-processor output>stream-processor-output
eks.create-cluster version>kubernetes-version
eks.update-cluster-version version>kubernetes-version
eks.create-nodegroup version>kubernetes-version
eks.update-nodegroup-version version>kubernetes-version
eks.update-cluster-components-version version>kubernetes-version
schemas.* version>schema-version
sagemaker.delete-image-version version>version-number
sagemaker.describe-image-version version>version-number
sagemaker.list-aliases version>version-number
sagemaker.update-image-version version>version-number
iotwireless.* lo-ra-wan>lorawan
codepipeline.get-action-type version>action-version
ecs.* no-enable-execute-command>disable-execute-command
ecs.execute-command no-interactive>non-interactive
controltower.create-landing-zone version>landing-zone-version
controltower.update-landing-zone version>landing-zone-version
glue.get-unfiltered-partition-metadata region>resource-region
glue.get-unfiltered-partitions-metadata region>resource-region
glue.get-unfiltered-table-metadata region>resource-region
"""
# Extra names the CLI also accepts for an option (same format).
_HIDDEN_ALIASES_TEXT = """
cognito-identity.create-identity-pool open-id-connect-provider-arns>open-id-connect-provider-ar-ns
storagegateway.describe-tapes tape-arns>tape-ar-ns
storagegateway.describe-tape-archives tape-arns>tape-ar-ns
storagegateway.describe-vtl-devices vtl-device-arns>vtl-device-ar-ns
storagegateway.describe-cached-iscsi-volumes volume-arns>volume-ar-ns
storagegateway.describe-stored-iscsi-volumes volume-arns>volume-ar-ns
route53domains.view-billing start-time>start
deploy.create-deployment-group ec2-tag-set>ec-2-tag-set
deploy.list-application-revisions s3-bucket>s-3-bucket
deploy.list-application-revisions s3-key-prefix>s-3-key-prefix
deploy.update-deployment-group ec2-tag-set>ec-2-tag-set
iam.enable-mfa-device authentication-code1>authentication-code-1
iam.enable-mfa-device authentication-code2>authentication-code-2
iam.resync-mfa-device authentication-code1>authentication-code-1
iam.resync-mfa-device authentication-code2>authentication-code-2
importexport.get-shipping-label street1>street-1
importexport.get-shipping-label street2>street-2
importexport.get-shipping-label street3>street-3
lambda.publish-version code-sha256>code-sha-256
lightsail.import-key-pair public-key-base64>public-key-base-64
mgn.* replication-servers-security-groups-ids>replication-servers-security-groups-i-ds
mgn.* source-server-ids>source-server-i-ds
mgn.* replication-configuration-template-ids>replication-configuration-template-i-ds
elasticache.create-replication-group preferred-cache-cluster-azs>preferred-cache-cluster-a-zs
"""
# "<hyphenated service id>: <cli operation>.<option> ..." (awscli/paramfile.py PARAMFILE_DISABLED).
_TEXT_URLS_TEXT = """
api-gateway: create-api.target create-integration.integration-uri put-integration.uri update-api.target
    update-integration.integration-uri
appstream: create-stack.feedback-url create-stack.redirect-url update-stack.feedback-url update-stack.redirect-url
cloudformation: create-change-set.template-url create-stack-set.template-url create-stack.stack-policy-url
    create-stack.template-url estimate-template-cost.template-url get-template-summary.template-url
    register-type.schema-handler-package set-stack-policy.stack-policy-url update-stack-set.template-url
    update-stack.stack-policy-during-update-url update-stack.stack-policy-url update-stack.template-url
    validate-template.template-url
comprehend: batch-detect-dominant-language.text-list batch-detect-entities.text-list
    batch-detect-key-phrases.text-list batch-detect-sentiment.text-list detect-dominant-language.text
    detect-entities.text detect-key-phrases.text detect-sentiment.text
emr: create-studio.idp-auth-url
guardduty: create-ip-set.location create-threat-intel-set.location update-ip-set.location
    update-threat-intel-set.location
iam: create-open-id-connect-provider.url
iot: create-job.document-source
machine-learning: predict.predict-endpoint
mediatailor: put-playback-configuration.ad-decision-server-url put-playback-configuration.slate-ad-url
    put-playback-configuration.video-content-source-url
rds: copy-db-cluster-snapshot.pre-signed-url copy-db-snapshot.pre-signed-url create-db-cluster.pre-signed-url
    create-db-instance-read-replica.pre-signed-url
s3: copy-object.website-redirect-location create-multipart-upload.website-redirect-location
    put-object.website-redirect-location
sagemaker: create-notebook-instance.additional-code-repositories create-notebook-instance.default-code-repository
    update-notebook-instance.additional-code-repositories update-notebook-instance.default-code-repository
serverlessapplicationrepository: create-application-version.source-code-url create-application-version.template-url
    create-application.home-page-url create-application.license-url create-application.readme-url
    create-application.source-code-url create-application.template-url update-application.home-page-url
    update-application.readme-url
service-catalog: create-product.support-url update-product.support-url
ses: create-custom-verification-email-template.failure-redirection-url
    create-custom-verification-email-template.success-redirection-url put-account-details.website-url
    update-custom-verification-email-template.failure-redirection-url
    update-custom-verification-email-template.success-redirection-url
sns: subscribe.notification-endpoint
sqs: add-permission.queue-url change-message-visibility-batch.queue-url change-message-visibility.queue-url
    delete-message-batch.queue-url delete-message.queue-url delete-queue.queue-url get-queue-attributes.queue-url
    list-dead-letter-source-queues.queue-url list-queue-tags.queue-url purge-queue.queue-url
    receive-message.queue-url remove-permission.queue-url send-message-batch.queue-url send-message.queue-url
    set-queue-attributes.queue-url tag-queue.queue-url untag-queue.queue-url
translate: translate-text.text
workdocs: create-notification-subscription.notification-endpoint
"""


def _read_pairs(text):
    """``{(cli service, cli operation or '*', old option): new option}``."""
    table = {}
    for line in text.strip().splitlines():
        where, rename = line.split()
        service, operation = where.split(".", 1)
        old, new = rename.split(">")
        table[(service, operation, old)] = new
    return table


def _read_text_urls(text):
    """``{(service id, cli operation, option)}`` from "service-id: operation.option ..." lines."""
    found, prefix = set(), None
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            prefix, line = line.split(":", 1)
        for item in line.split():
            operation, option = item.split(".", 1)
            found.add((prefix, operation, option))
    return frozenset(found)


ARGUMENT_RENAMES = _read_pairs(_RENAMES_TEXT)
HIDDEN_ALIASES = _read_pairs(_HIDDEN_ALIASES_TEXT)
# Parameters whose http(s):// or file:// values the CLI passes on as text (it reads no file or URL
# for them), keyed as the CLI keys them: hyphenated service id, CLI operation name, option name.
TEXT_URL_OPTIONS = _read_text_urls(_TEXT_URLS_TEXT)
