#include "nw/io/notification_sinks.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>

#include "nw/io/aws_query.h"
#include "nw/io/child_program.h"
#include "nw/io/credentials.h"
#include "nw/io/http_exchange.h"
#include "nw/io/neptune_client.h"
#include "nw/io/request_signer.h"
#include "nw/io/tls_context.h"

namespace nw {

namespace {

// What a webhook or SNS says back is read only for its status (and SNS's error code).
constexpr std::size_t kMaxAnswerBody = 256u << 10;

HttpOrigin origin_of(const EndpointUrl& url, const std::string& ca_file, const std::string& key) {
  HttpOrigin origin;
  origin.https = url.https;
  origin.host = url.host;
  origin.port = url.port;
  if (origin.https) {
    try {
      origin.tls = make_client_tls_context(ca_file);
    } catch (const Poco::Exception& e) {
      throw EndpointSetupError(key, "cannot load the TLS trust store: " + e.displayText());
    }
  }
  return origin;
}

// A non-2xx answer as a failure; the body is not quoted (a receiver may echo what it got).
Failure refused(int status, const std::string& what) {
  std::string message = what + " answered HTTP " + std::to_string(status);
  if (status / 100 == 3) message += " (a redirect: not followed)";
  return Failure{FailureKind::service_error, status, status / 100 == 3 ? "redirect" : "", message};
}

class WebhookSink : public NotificationSink {
 public:
  WebhookSink(const NotifyConfig& notify, std::shared_ptr<ExchangeReaper> reaper)
      : url_(*notify.webhook),
        format_(notify.format),
        headers_(notify.headers),
        where_("webhook " + url_.origin.to_string()),
        connections_(origin_of(url_.origin, notify.ca_file, "notify." + notify.name + ".ca_file"),
                     std::move(reaper), 1) {}

  std::optional<Failure> send(const NotificationBatch& batch,
                              std::chrono::steady_clock::time_point deadline) override {
    HttpCall call;
    call.method = Poco::Net::HTTPRequest::HTTP_POST;
    call.target = url_.target;
    call.headers = headers_;
    call.headers.emplace_back("User-Agent", "neptune-watchdog/" NW_VERSION);
    call.body = format_ == NotifyFormat::slack ? slack_payload(batch) : batch_json(batch);
    call.content_type = "application/json";
    call.what = where_;
    const auto answer = connections_.exchange(call, ExchangeLimits{deadline, kMaxAnswerBody});
    if (!answer) return answer.failure();
    if (answer.value().status / 100 != 2) return refused(answer.value().status, where_);
    return std::nullopt;
  }

  std::string where() const override { return where_; }

 private:
  WebhookUrl url_;
  NotifyFormat format_;
  HttpHeaders headers_;
  std::string where_;
  HttpConnections connections_;
};

class CommandSink : public NotificationSink {
 public:
  explicit CommandSink(const NotifyConfig& notify)
      : argv_{notify.command},
        timeout_(notify.command_timeout),
        where_("command " + notify.command) {
    argv_.insert(argv_.end(), notify.args.begin(), notify.args.end());
  }

  std::optional<Failure> send(const NotificationBatch& batch,
                              std::chrono::steady_clock::time_point deadline) override {
    ProgramRun run;
    run.argv = argv_;
    run.input = batch_json(batch);
    run.environment = command_environment(batch);
    run.max_output = 4096;  // read and dropped: only its exit status counts
    run.abandoned = [this] { return abandoned_.load(); };
    const auto ran =
        run_program(run, std::min(deadline, std::chrono::steady_clock::now() + timeout_));
    if (!ran) {
      Failure f = ran.failure();
      // Not retried: a program that ran to its limit may have done its work (paged someone)
      // before it hung; running it again would do it twice.
      if (f.kind == FailureKind::timeout)
        return Failure{FailureKind::service_error, 0, "killed",
                       where_ + " did not finish within command_timeout; killed"};
      f.message = where_ + ": " + f.message;
      return f;
    }
    if (ran.value().signal != 0)
      return Failure{FailureKind::service_error, 0, "",
                     where_ + " was killed by signal " + std::to_string(ran.value().signal)};
    if (ran.value().exit_status != 0)
      return Failure{FailureKind::service_error, 0, "",
                     where_ + " exited with status " + std::to_string(ran.value().exit_status)};
    return std::nullopt;
  }

  std::string where() const override { return where_; }
  void abandon() override { abandoned_ = true; }

 private:
  std::atomic<bool> abandoned_{false};
  std::vector<std::string> argv_;
  std::chrono::milliseconds timeout_;
  std::string where_;
};

class SnsSink : public NotificationSink {
 public:
  SnsSink(const NotifyConfig& notify, std::shared_ptr<CredentialChain> credentials,
          std::shared_ptr<ExchangeReaper> reaper)
      : topic_arn_(notify.sns_topic_arn),
        region_(notify.sns_region()),
        where_("SNS topic " + topic_arn_),
        credentials_(std::move(credentials)),
        connections_(origin_of(sns_endpoint(notify), "", "notify." + notify.name + ".sns_url"),
                     std::move(reaper), 1) {}

  std::optional<Failure> send(const NotificationBatch& batch,
                              std::chrono::steady_clock::time_point deadline) override {
    HttpCall call;
    call.method = Poco::Net::HTTPRequest::HTTP_POST;
    call.target = "/";
    call.headers = {{"Accept", "text/xml"}};
    call.body = aws_query_body({{"Action", "Publish"},
                                {"Version", "2010-03-31"},
                                {"TopicArn", topic_arn_},
                                {"Subject", sns_subject(batch)},
                                {"Message", batch_json(batch)}});
    call.content_type = kAwsQueryContentType;
    call.what = "SNS Publish";
    const auto answer = connections_.exchange(
        call, ExchangeLimits{deadline, kMaxAnswerBody}, [&](Poco::Net::HTTPRequest& request) {
          return sign_request(request, call.target, call.body, *credentials_, region_, "sns");
        });
    if (!answer) return answer.failure();
    const int status = answer.value().status;
    if (status / 100 == 2) return std::nullopt;
    const AwsXml document(answer.value().body);
    if (const auto error = aws_query_error(document.root())) {
      std::string message = error->message.substr(0, 300);
      for (char& c : message)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      return Failure{FailureKind::service_error, status, error->code,
                     where_ + ": " + error->code + ": " + message};
    }
    return refused(status, where_);
  }

  std::string where() const override { return where_; }

 private:
  std::string topic_arn_;
  std::string region_;
  std::string where_;
  std::shared_ptr<CredentialChain> credentials_;
  HttpConnections connections_;
};

}  // namespace

bool worth_retrying(const Failure& f) {
  if (f.kind == FailureKind::transport || f.kind == FailureKind::timeout) return true;
  if (f.http_status >= 500 || f.http_status == 429) return true;
  return f.code.find("Throttl") != std::string::npos;
}

EndpointUrl sns_endpoint(const NotifyConfig& notify) {
  if (notify.sns_url) return *notify.sns_url;
  const std::string region = notify.sns_region();
  EndpointUrl url;
  url.https = true;
  url.host = "sns." + region + ".amazonaws.com" + (region.rfind("cn-", 0) == 0 ? ".cn" : "");
  url.port = 443;
  return url;
}

std::unique_ptr<NotificationSink> make_notification_sink(
    const NotifyConfig& notify, std::shared_ptr<CredentialChain> credentials,
    std::shared_ptr<ExchangeReaper> reaper) {
  const std::string section = "notify." + notify.name;
  if (notify.webhook) return std::make_unique<WebhookSink>(notify, std::move(reaper));
  if (!notify.command.empty()) return std::make_unique<CommandSink>(notify);
  if (!notify.sns_topic_arn.empty()) {
    if (!credentials)
      throw EndpointSetupError(section, "SNS needs credentials to sign its requests");
    return std::make_unique<SnsSink>(notify, std::move(credentials), std::move(reaper));
  }
  throw EndpointSetupError(section, "no sink (webhook, command or sns_topic_arn)");
}

}  // namespace nw
