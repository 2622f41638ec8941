#pragma once
// The AWS Query protocol, for every AWS API the daemon calls that speaks it: STS
// (AssumeRoleWithWebIdentity) today, RDS's DescribeDBClusters / DescribeDBInstances and SNS
// Publish next. A request is a form-encoded POST of Action, Version and parameters; the answer
// is an XML document, <ActionResponse><ActionResult>...</ActionResult></ActionResponse>, or
// <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>

namespace nw {

using AwsQueryParams = std::vector<std::pair<std::string, std::string>>;

// "Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=db-cluster-id&...":
// names and values percent-encoded (url_encode), in the order given.
std::string aws_query_body(const AwsQueryParams& params);

// The form's Content-Type.
inline constexpr const char* kAwsQueryContentType =
    "application/x-www-form-urlencoded; charset=utf-8";

// An answer's document; root() is null when the body is not XML.
class AwsXml {
 public:
  explicit AwsXml(const std::string& body);
  Poco::XML::Element* root() const;

 private:
  Poco::AutoPtr<Poco::XML::Document> document_;
};

// The first child element named `name` (local name, so namespaces do not matter); null when
// `parent` is null or has none.
Poco::XML::Element* xml_child(Poco::XML::Node* parent, const std::string& name);
// Its text, trimmed; "" when there is no such child.
std::string xml_child_text(Poco::XML::Node* parent, const std::string& name);
// Every child element named `name`, in order (e.g. the <member> entries of a list).
std::vector<Poco::XML::Element*> xml_children(Poco::XML::Node* parent, const std::string& name);

struct AwsQueryError {
  std::string code;     // e.g. "Throttling", "AccessDenied": always an identifier
  std::string message;  // as the service wrote it: callers bound and redact it before logging
};

// The error of an <ErrorResponse> document; nullopt when `root` is not one or its Code is not
// an identifier (then the answer came from something else: a proxy, a load balancer).
std::optional<AwsQueryError> aws_query_error(Poco::XML::Element* root);

}  // namespace nw
