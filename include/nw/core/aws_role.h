#pragma once
// What IAM and STS accept for a role to assume, checked where the role is named (the endpoint's
// `role_arn`, a shared-config profile's) so that a typo is a configuration error with a line
// number rather than an AccessDenied or ValidationError from STS at the first poll.
#include <optional>
#include <string>

namespace nw {

// The session name when none is given: it appears in the role's CloudTrail records, where it
// says which program used the role.
inline constexpr const char* kDefaultRoleSessionName = "neptune-watchdog";

// Why `arn` is not `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME` (PARTITION aws, aws-cn,
// aws-us-gov, ...; ACCOUNT 12 digits; NAME 1-64 of [\w+=,.@-]); nullopt when it is.
std::optional<std::string> role_arn_problem(const std::string& arn);

// Why `name` is not an STS RoleSessionName (2-64 characters of [\w+=,.@-]); nullopt when it is.
std::optional<std::string> role_session_name_problem(const std::string& name);

// Why `id` is not an STS ExternalId (2-1224 characters of [\w+=,.@:/-]); nullopt when it is.
std::optional<std::string> external_id_problem(const std::string& id);

}  // namespace nw
