#pragma once
// AWS STS, the one place the daemon gets a role's temporary credentials: AssumeRole (an
// endpoint's `role_arn`, a shared-config profile's role_arn) and AssumeRoleWithWebIdentity
// (AWS_WEB_IDENTITY_TOKEN_FILE). Both are AWS Query POSTs (Version 2011-06-15) to one endpoint:
//
//   AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.REGION.amazonaws.com[.cn]/
//
// where REGION is AWS_REGION, AWS_DEFAULT_REGION or the endpoint's region. Plain http is refused
// unless the host is loopback: the answer holds credentials (and a web identity request holds
// its token). Answers are bounded, errors become a Failure with STS's code (AccessDenied,
// Throttling, ExpiredToken, RegionDisabledException, ...) and a bounded message from which
// any secret of the request has been removed.
#include <optional>
#include <string>

#include "nw/core/aws_credentials.h"
#include "nw/core/failure.h"
#include "nw/io/credentials.h"

namespace nw {

// STS AssumeRole, signed (SigV4, service sts) with `source`: the credentials of the identity
// the role's trust policy names. The answer's Expiration is required.
Result<AwsCredentials> sts_assume_role(const CredentialRequest& request,
                                       const AssumeRoleSettings& role,
                                       const AwsCredentials& source);

// STS AssumeRoleWithWebIdentity: unsigned, the token is the proof.
Result<AwsCredentials> sts_assume_role_with_web_identity(const CredentialRequest& request,
                                                         const std::string& role_arn,
                                                         const std::string& session_name,
                                                         const std::string& token);

}  // namespace nw
