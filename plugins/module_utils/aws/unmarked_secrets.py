# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets the AWS models do not mark ``sensitive``, and the operations that hand out credentials.

botocore's ``sensitive`` trait is the first source (aws/redact.py), but some outputs carry a
credential or a bearer token without it: whoever holds the value can act with it. They are listed
here, each with where it is in the model and why it is a secret, and treated exactly like a
member the model marks (redacted, never registered). tests/unit/.../aws/test_unmarked_secrets.py
reads the botocore models to prove that every entry is where it says.

``CREDENTIAL_OPERATIONS`` hand the caller credentials or a token (a run's guard would not see what
another identity does with them): the perimeter refuses them as plan steps unless the class's
``allow_operations`` lists them, and a dry run never sends one, even when it is allowed.
"""

from __future__ import annotations

from collections import namedtuple

# service, operation, path in the output (``[]``: each element of a list), the model's structure shape
# that holds the member, the member's name, and why whoever reads it can act with it
Unmarked = namedtuple("Unmarked", "service operation path shape member reason")

_DOCKER = "base64 user:password that logs docker in to the registry for 12 hours"
_PRESIGNED = "a presigned URL: whoever has it downloads the content until it expires, no credentials needed"
_SIGN_IN = "a sign-in URL with its own token: whoever opens it is signed in"
_SESSION = "the token of an interactive session: whoever has it joins the session"
_KEY = "half of an AWS credential (the secret access key or the session token)"

UNMARKED = (
    Unmarked("ecr", "GetAuthorizationToken", "authorizationData[].authorizationToken", "AuthorizationData",
             "authorizationToken", _DOCKER),
    Unmarked("ecr-public", "GetAuthorizationToken", "authorizationData.authorizationToken", "AuthorizationData",
             "authorizationToken", _DOCKER),
    Unmarked("ecr", "GetDownloadUrlForLayer", "downloadUrl", "GetDownloadUrlForLayerResponse", "downloadUrl",
             _PRESIGNED),
    Unmarked("lambda", "GetFunction", "Code.Location", "FunctionCodeLocation", "Location",
             _PRESIGNED + " (the function's code, for 10 minutes)"),
    Unmarked("lambda", "GetLayerVersion", "Content.Location", "LayerVersionContentOutput", "Location",
             _PRESIGNED + " (the layer's content, for 10 minutes)"),
    Unmarked("sagemaker", "CreatePresignedDomainUrl", "AuthorizedUrl", "CreatePresignedDomainUrlResponse",
             "AuthorizedUrl", _SIGN_IN),
    Unmarked("sagemaker", "CreatePresignedNotebookInstanceUrl", "AuthorizedUrl",
             "CreatePresignedNotebookInstanceUrlOutput", "AuthorizedUrl", _SIGN_IN),
    Unmarked("sagemaker", "CreatePresignedMlflowTrackingServerUrl", "AuthorizedUrl",
             "CreatePresignedMlflowTrackingServerUrlResponse", "AuthorizedUrl", _SIGN_IN),
    Unmarked("athena", "CreatePresignedNotebookUrl", "AuthToken", "CreatePresignedNotebookUrlResponse", "AuthToken",
             "the notebook's authentication token"),
    Unmarked("athena", "GetSessionEndpoint", "AuthToken", "GetSessionEndpointResponse", "AuthToken",
             "the session endpoint's authentication token"),
    Unmarked("kinesis-video-archived-media", "GetHLSStreamingSessionURL", "HLSStreamingSessionURL",
             "GetHLSStreamingSessionURLOutput", "HLSStreamingSessionURL", "a session URL carrying its own token"),
    Unmarked("kinesis-video-archived-media", "GetDASHStreamingSessionURL", "DASHStreamingSessionURL",
             "GetDASHStreamingSessionURLOutput", "DASHStreamingSessionURL", "a session URL carrying its own token"),
    Unmarked("kinesis-video-signaling", "GetIceServerConfig", "IceServerList[].Password", "IceServer", "Password",
             "the TURN server's password"),
    Unmarked("ssm", "StartSession", "TokenValue", "StartSessionResponse", "TokenValue", _SESSION),
    Unmarked("sagemaker", "StartSession", "TokenValue", "StartSessionResponse", "TokenValue", _SESSION),
    Unmarked("codebuild", "StartSandboxConnection", "ssmSession.tokenValue", "SSMSession", "tokenValue", _SESSION),
    Unmarked("apigateway", "GetApiKey", "value", "ApiKey", "value", "the API key itself"),
    Unmarked("appsync", "CreateApiKey", "apiKey.id", "ApiKey", "id", "the API key itself (its id is the key)"),
    Unmarked("gamelift", "GetComputeAuthToken", "AuthToken", "GetComputeAuthTokenOutput", "AuthToken",
             "a compute's authentication token"),
    Unmarked("license-manager", "GetAccessToken", "AccessToken", "GetAccessTokenResponse", "AccessToken",
             "a temporary access token"),
    Unmarked("lakeformation", "GetTemporaryGlueTableCredentials", "SecretAccessKey",
             "GetTemporaryGlueTableCredentialsResponse", "SecretAccessKey", _KEY),
    Unmarked("lakeformation", "GetTemporaryGluePartitionCredentials", "SecretAccessKey",
             "GetTemporaryGluePartitionCredentialsResponse", "SecretAccessKey", _KEY),
    Unmarked("lakeformation", "GetTemporaryGlueFunctionCredentials", "SecretAccessKey",
             "GetTemporaryGlueFunctionCredentialsResponse", "SecretAccessKey", _KEY),
    Unmarked("lakeformation", "AssumeDecoratedRoleWithSAML", "SecretAccessKey",
             "AssumeDecoratedRoleWithSAMLResponse", "SecretAccessKey", _KEY),
    Unmarked("lakeformation", "GetTemporaryDataLocationCredentials", "Credentials.SecretAccessKey",
             "TemporaryCredentials", "SecretAccessKey", _KEY),
    Unmarked("glue", "GetJob", "Job.SourceControlDetails.AuthToken", "SourceControlDetails", "AuthToken",
             "the token of the job's source repository (GitHub, GitLab, ...)"),
    Unmarked("emr", "DescribeCluster", "Cluster.KerberosAttributes.KdcAdminPassword", "KerberosAttributes",
             "KdcAdminPassword", "the Kerberos KDC administrator's password"),
    Unmarked("emr", "DescribeCluster", "Cluster.KerberosAttributes.CrossRealmTrustPrincipalPassword",
             "KerberosAttributes", "CrossRealmTrustPrincipalPassword", "a Kerberos cross-realm trust password"),
    Unmarked("emr", "DescribeCluster", "Cluster.KerberosAttributes.ADDomainJoinPassword", "KerberosAttributes",
             "ADDomainJoinPassword", "an Active Directory domain-join password"),
    Unmarked("docdb", "DescribeDBInstances", "DBInstances[].PendingModifiedValues.MasterUserPassword",
             "PendingModifiedValues", "MasterUserPassword", "the database's master password (pending change)"),
    Unmarked("cloudhsmv2", "DescribeClusters", "Clusters[].PreCoPassword", "Cluster", "PreCoPassword",
             "the HSM's pre-crypto-officer password"),
)
# (service, structure shape, member) of every entry, as redact() and the register check look them up: the
# service too, because another service's shape of the same name may hold the same member name harmlessly
# (API Gateway's ApiKey.id is an id; AppSync's is the key)
UNMARKED_MEMBERS = frozenset((entry.service, entry.shape, entry.member) for entry in UNMARKED)

# operations that hand the caller credentials or a bearer token, with why; besides these, every sts:Assume*
# and every operation whose output has a ``Credentials`` structure (guard/perimeter.py)
CREDENTIAL_OPERATIONS = {
    ("sts", "GetSessionToken"): "it issues credentials",
    ("sts", "GetFederationToken"): "it issues credentials",
    ("ecr", "GetAuthorizationToken"): "it issues a docker login token for the registry",
    ("ecr-public", "GetAuthorizationToken"): "it issues a docker login token for ECR Public",
    ("codeartifact", "GetAuthorizationToken"): "it issues a token for the CodeArtifact domain",
    ("sso", "GetRoleCredentials"): "it issues the credentials of an IAM Identity Center role",
    ("sso-oidc", "CreateToken"): "it issues an IAM Identity Center access token",
    ("redshift", "GetClusterCredentials"): "it issues a database user's temporary password",
    ("redshift", "GetClusterCredentialsWithIAM"): "it issues a database user's temporary password",
    ("redshift-serverless", "GetCredentials"): "it issues a database user's temporary password",
    ("license-manager", "GetAccessToken"): "it issues an access token",
    ("gamelift", "GetComputeAuthToken"): "it issues a compute's authentication token",
    ("gamelift", "GetInstanceAccess"): "it issues credentials to log in to a fleet instance",
    ("ssm", "StartSession"): "it opens a session whose token lets its holder in",
    ("sagemaker", "StartSession"): "it opens a session whose token lets its holder in",
    ("codebuild", "StartSandboxConnection"): "it opens a session whose token lets its holder in",
    ("ecs", "ExecuteCommand"): "it opens a session whose token lets its holder in",
    ("sagemaker", "CreatePresignedDomainUrl"): "it issues a sign-in URL",
    ("sagemaker", "CreatePresignedNotebookInstanceUrl"): "it issues a sign-in URL",
    ("sagemaker", "CreatePresignedMlflowTrackingServerUrl"): "it issues a sign-in URL",
    ("athena", "CreatePresignedNotebookUrl"): "it issues a sign-in URL and token",
    ("athena", "GetSessionEndpoint"): "it issues a session endpoint's token",
    ("appstream", "CreateStreamingURL"): "it issues a streaming sign-in URL",
    ("mwaa", "CreateCliToken"): "it issues an Airflow CLI token",
    ("mwaa", "CreateWebLoginToken"): "it issues an Airflow web login token",
    ("connect", "GetFederationToken"): "it issues an Amazon Connect access token",
    ("kinesis-video-archived-media", "GetHLSStreamingSessionURL"): "it issues a session URL carrying a token",
    ("kinesis-video-archived-media", "GetDASHStreamingSessionURL"): "it issues a session URL carrying a token",
    ("kinesis-video-signaling", "GetIceServerConfig"): "it issues TURN server credentials",
    ("cognito-identity", "GetOpenIdToken"): "it issues an OpenID token",
    ("cognito-identity", "GetOpenIdTokenForDeveloperIdentity"): "it issues an OpenID token",
    ("datazone", "GetEnvironmentCredentials"): "it issues an environment's credentials",
}


def credential_reason(service, operation):
    """Why this operation hands out credentials (listed here), or None."""
    return CREDENTIAL_OPERATIONS.get((service, operation))
