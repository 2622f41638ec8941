#pragma once
// Where a [notify.NAME] section's messages go, one message per call:
//
//   webhook        POST of the batch (format = json: batch_json; slack: slack_payload) with the
//                  section's headers, through the one HTTP exchange (nw/io/http_exchange.h),
//                  TLS verified like the endpoints' (ca_file or the system store). A 2xx is
//                  delivered; a redirect is not followed (a failure: the URL is wrong, and
//                  following it could post the batch, and its headers, somewhere else).
//   command        the program run without a shell (nw/io/child_program.h), the batch's JSON on
//                  its standard input, its main fields in NW_* environment variables
//                  (command_environment); exit status 0 is delivered; killed at
//                  command_timeout.
//   sns_topic_arn  SNS Publish (Query API 2010-03-31: TopicArn, Subject = the headline,
//                  Message = the batch's JSON), signed with SigV4 for `sns` in the ARN's region
//                  through the section's credential chain; error answers read with aws_query.h.
//
// A sink never logs what it sends, a header's value or the webhook's path (which can be the
// secret, as Slack's are); its failures name the sink by where(): the origin only.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "nw/core/config.h"
#include "nw/core/failure.h"
#include "nw/core/notification.h"

namespace nw {

class CredentialChain;
class ExchangeReaper;

class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  // Sends `batch` as one message, within `deadline`; nullopt once delivered.
  virtual std::optional<Failure> send(const NotificationBatch& batch,
                                      std::chrono::steady_clock::time_point deadline) = 0;
  // Names where it sends without a secret: "webhook https://hooks.slack.com:443",
  // "command /usr/local/bin/page-oncall", "SNS topic arn:aws:sns:...".
  virtual std::string where() const = 0;
  // Shutdown: a send still running ends at once (a command is killed; a webhook's or SNS's
  // exchange is ended by its reaper's abort_all()). Thread-safe.
  virtual void abandon() {}
};

// Whether a failed message is worth sending again: nothing usable came back (transport,
// timeout), or the peer said to (HTTP 5xx, 429, an AWS throttling code). A redirect, another
// 4xx, a TLS failure, a command that failed or was killed at its limit (it may have done its
// work before it hung), missing credentials are not.
bool worth_retrying(const Failure& failure);

// The SNS endpoint of `notify`: sns_url, else https://sns.REGION.amazonaws.com (.com.cn in the
// China partitions).
EndpointUrl sns_endpoint(const NotifyConfig& notify);

// The sink of `notify`. `credentials` signs SNS requests (required for sns_topic_arn, unused
// otherwise); `reaper` (null: the process's) holds each exchange to its deadline. Throws
// EndpointSetupError (key "notify.NAME.ca_file", "notify.NAME") when the TLS trust store
// cannot be loaded or the section has no sink.
std::unique_ptr<NotificationSink> make_notification_sink(
    const NotifyConfig& notify, std::shared_ptr<CredentialChain> credentials,
    std::shared_ptr<ExchangeReaper> reaper);

}  // namespace nw
