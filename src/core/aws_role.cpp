#include "nw/core/aws_role.h"

#include <cctype>
#include <string_view>

namespace nw {
namespace {

// IAM's and STS's [\w+=,.@-], plus `extra`.
bool all_of_set(std::string_view s, std::string_view extra) {
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::string_view("_+=,.@-").find(c) != std::string_view::npos) continue;
    if (extra.find(c) != std::string_view::npos) continue;
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> role_arn_problem(const std::string& arn) {
  const std::string shape = "expected arn:PARTITION:iam::ACCOUNT:role/NAME";
  // arn : partition : service : region : account : resource
  std::string_view rest(arn);
  std::string_view fields[5];
  for (auto& field : fields) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return shape;
    field = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (fields[0] != "arn") return shape;
  const std::string_view partition = fields[1];
  if (partition.size() < 3 || partition.substr(0, 3) != "aws" || !all_of_set(partition, "") ||
      partition.find_first_of("_+=,.@") != std::string_view::npos)
    return shape + " (PARTITION is aws, aws-cn, aws-us-gov, ...)";
  if (fields[2] != "iam") return shape + " (the service of a role is iam)";
  if (!fields[3].empty()) return shape + " (a role's ARN has no region: iam::)";
  const std::string_view account = fields[4];
  if (account.size() != 12 || account.find_first_not_of("0123456789") != std::string_view::npos)
    return shape + " (ACCOUNT is the 12-digit account id)";
  if (rest.substr(0, 5) != "role/") return shape + " (a role, not another kind of IAM resource)";
  rest.remove_prefix(5);
  // A path (/division/team/) may precede the name.
  const auto slash = rest.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(0, slash);
  if (name.empty() || name.size() > 64 || !all_of_set(name, ""))
    return shape + " (NAME is 1 to 64 letters, digits or +=,.@_-)";
  if (path.size() > 511 || !all_of_set(path, "/")) return shape + " (the role's path is invalid)";
  return std::nullopt;
}

std::optional<std::string> role_session_name_problem(const std::string& name) {
  if (name.size() < 2 || name.size() > 64 || !all_of_set(name, ""))
    return "expected 2 to 64 letters, digits or +=,.@_- (STS RoleSessionName)";
  return std::nullopt;
}

std::optional<std::string> external_id_problem(const std::string& id) {
  if (id.size() < 2 || id.size() > 1224 || !all_of_set(id, ":/"))
    return "expected 2 to 1224 letters, digits or +=,.@:/_- (STS ExternalId)";
  return std::nullopt;
}

}  // namespace nw
