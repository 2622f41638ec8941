#include "nw/io/aws_query.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(AwsQuery, BodyEncodesNamesAndValuesInOrder) {
  EXPECT_EQ(aws_query_body(
                {{"Action", "DescribeDBInstances"},
                 {"Version", "2014-10-31"},
                 {"Filters.Filter.1.Name", "db-cluster-id"},
                 {"Filters.Filter.1.Values.Value.1", "arn:aws:rds:us-east-1:123:cluster:g 1"}}),
            "Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=db-cluster-id&"
            "Filters.Filter.1.Values.Value.1=arn%3Aaws%3Ards%3Aus-east-1%3A123%3Acluster%3Ag%201");
  EXPECT_EQ(aws_query_body({}), "");
}

// The shape of STS's and RDS's answers (namespaced, as the services send them).
TEST(AwsQuery, ReadsResultsAndListsByLocalName) {
  const AwsXml xml(R"(<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult>
    <Marker>next-page</Marker>
    <DBInstances>
      <DBInstance><DBInstanceIdentifier> db-1 </DBInstanceIdentifier></DBInstance>
      <DBInstance><DBInstanceIdentifier>db-2</DBInstanceIdentifier></DBInstance>
    </DBInstances>
  </DescribeDBInstancesResult>
</DescribeDBInstancesResponse>)");
  auto* result = xml_child(xml.root(), "DescribeDBInstancesResult");
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(xml_child_text(result, "Marker"), "next-page");
  const auto instances = xml_children(xml_child(result, "DBInstances"), "DBInstance");
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(xml_child_text(instances[0], "DBInstanceIdentifier"), "db-1");
  EXPECT_EQ(xml_child_text(instances[1], "DBInstanceIdentifier"), "db-2");
  EXPECT_EQ(xml_child(result, "Missing"), nullptr);
  EXPECT_EQ(xml_child_text(nullptr, "Marker"), "");
}

TEST(AwsQuery, ErrorDocumentsGiveCodeAndMessage) {
  const AwsXml throttled(R"(<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
  <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
</ErrorResponse>)");
  const auto error = aws_query_error(throttled.root());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "Throttling");
  EXPECT_EQ(error->message, "Rate exceeded");
}

TEST(AwsQuery, WhatIsNotAnErrorDocumentIsNone) {
  EXPECT_FALSE(AwsXml("<html><body>502 Bad Gateway</body></html>").root() == nullptr);
  EXPECT_EQ(aws_query_error(AwsXml("<html><body>502 Bad Gateway</body></html>").root()),
            std::nullopt);
  EXPECT_EQ(AwsXml("not xml at all").root(), nullptr);
  EXPECT_EQ(aws_query_error(nullptr), std::nullopt);
  // A code that is not an identifier is not a service's code.
  EXPECT_EQ(aws_query_error(
                AwsXml("<ErrorResponse><Error><Code>a b</Code></Error></ErrorResponse>").root()),
            std::nullopt);
  EXPECT_EQ(aws_query_error(AwsXml("<ErrorResponse><NoError/></ErrorResponse>").root()),
            std::nullopt);
}

}  // namespace
}  // namespace nw
