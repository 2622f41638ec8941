#include "nw/io/aws_query.h"

#include <algorithm>
#include <cctype>

#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Node.h>

#include "nw/core/url_encode.h"

namespace nw {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool is_identifier(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool named(const Poco::XML::Node* n, const std::string& name) {
  return n->nodeType() == Poco::XML::Node::ELEMENT_NODE &&
         (n->localName() == name || n->nodeName() == name);
}

}  // namespace

std::string aws_query_body(const AwsQueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += url_encode(name);
    out += '=';
    out += url_encode(value);
  }
  return out;
}

AwsXml::AwsXml(const std::string& body) {
  try {
    Poco::XML::DOMParser parser;
    document_ = parser.parseString(body);
  } catch (...) {
    document_ = nullptr;
  }
}

Poco::XML::Element* AwsXml::root() const {
  return document_ ? document_->documentElement() : nullptr;
}

Poco::XML::Element* xml_child(Poco::XML::Node* parent, const std::string& name) {
  if (!parent) return nullptr;
  for (Poco::XML::Node* n = parent->firstChild(); n; n = n->nextSibling())
    if (named(n, name)) return static_cast<Poco::XML::Element*>(n);
  return nullptr;
}

std::string xml_child_text(Poco::XML::Node* parent, const std::string& name) {
  auto* e = xml_child(parent, name);
  return e ? trim(e->innerText()) : std::string();
}

std::vector<Poco::XML::Element*> xml_children(Poco::XML::Node* parent, const std::string& name) {
  std::vector<Poco::XML::Element*> out;
  if (!parent) return out;
  for (Poco::XML::Node* n = parent->firstChild(); n; n = n->nextSibling())
    if (named(n, name)) out.push_back(static_cast<Poco::XML::Element*>(n));
  return out;
}

std::optional<AwsQueryError> aws_query_error(Poco::XML::Element* root) {
  if (!root || !named(root, "ErrorResponse")) return std::nullopt;
  Poco::XML::Element* error = xml_child(root, "Error");
  AwsQueryError e{xml_child_text(error, "Code"), xml_child_text(error, "Message")};
  if (!error || !is_identifier(e.code)) return std::nullopt;
  return e;
}

}  // namespace nw
