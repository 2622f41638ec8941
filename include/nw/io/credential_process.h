#pragma once
// A shared-config profile's `credential_process`: an external program that prints credentials
// as JSON on its standard output, as the AWS CLI and SDKs run it:
//
//   {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
//    "SessionToken": "...", "Expiration": "2024-05-01T12:00:00Z"}
//
// The command line is split as a POSIX shell splits words (quotes and backslashes), and the
// program is run without a shell, as botocore does: no variable expansion, globbing or pipes.
// A program that needs them can be written as `sh -c '...'`. It inherits the daemon's
// environment, reads /dev/null, and has until the lookup's deadline to finish; then it is
// killed. Its standard error and output are never logged nor quoted in a failure (they may
// hold a secret); a failure names the profile and says what went wrong.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/aws_credentials.h"
#include "nw/core/failure.h"

namespace nw {

// The words of `command` (a shell's splitting: '...' literal, "..." with \" \\ \$ \`, \x
// outside quotes); nullopt when a quote is not closed.
std::optional<std::vector<std::string>> split_command_line(const std::string& command);

// Runs `command` and reads its credentials. `what` names the source in messages, e.g.
// "credential_process of profile build".
Result<AwsCredentials> run_credential_process(const std::string& command, const std::string& what,
                                              std::chrono::steady_clock::time_point deadline);

// The program's output as credentials (Version 1; Expiration optional: none means long-term).
Result<AwsCredentials> parse_credential_process_output(const std::string& output,
                                                       const std::string& what);

}  // namespace nw
