#include "nw/sim/management_xml.h"

#include <ctime>

namespace nw::sim {
namespace {

constexpr std::string_view kEngine = "neptune";
constexpr std::string_view kEngineVersion = "1.3.2.1";
constexpr std::string_view kInstanceClass = "db.r6g.large";
constexpr int kClusterPort = 8182;

// An indented XML document written element by element, two spaces a level as AWS lays out
// its answers. Text is always escaped; names are the callers' constants.
class XmlOut {
 public:
  // No XML declaration: AWS Query answers start with their root element.
  XmlOut& open(std::string_view name, std::string_view xmlns = {}) {
    indent();
    out_ += "<";
    out_ += name;
    if (!xmlns.empty()) {
      out_ += " xmlns=\"";
      out_ += xml_escape(xmlns);
      out_ += "\"";
    }
    out_ += ">\n";
    ++depth_;
    return *this;
  }
  // An empty list, as <Name/>.
  XmlOut& empty(std::string_view name) {
    indent();
    out_ += "<";
    out_ += name;
    out_ += "/>\n";
    return *this;
  }
  XmlOut& close(std::string_view name) {
    --depth_;
    indent();
    out_ += "</";
    out_ += name;
    out_ += ">\n";
    return *this;
  }
  XmlOut& text(std::string_view name, std::string_view value) {
    indent();
    out_ += "<";
    out_ += name;
    out_ += ">";
    out_ += xml_escape(value);
    out_ += "</";
    out_ += name;
    out_ += ">\n";
    return *this;
  }
  XmlOut& number(std::string_view name, std::int64_t value) {
    return text(name, std::to_string(value));
  }
  XmlOut& boolean(std::string_view name, bool value) {
    return text(name, value ? "true" : "false");
  }
  const std::string& str() const { return out_; }

 private:
  void indent() { out_.append(static_cast<std::size_t>(depth_) * 2, ' '); }

  std::string out_;
  int depth_ = 0;
};

// A stable resource id of RDS's form (cluster-XXXX, db-XXXX) derived from the identifier.
std::string resource_id(std::string_view prefix, std::string_view id) {
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const char c : id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(prefix);
  out += '-';
  for (int i = 0; i < 26; ++i) {
    out += kAlphabet[hash % 32];
    hash = hash / 32 + (hash << 59) + static_cast<std::uint64_t>(i) * 2654435761ULL;
  }
  return out;
}

void availability_zones(XmlOut& xml, const ManagementSettings& settings) {
  xml.open("AvailabilityZones");
  for (const char zone : {'a', 'b', 'c'}) xml.text("AvailabilityZone", settings.region + zone);
  xml.close("AvailabilityZones");
}

void response_end(XmlOut& xml, std::string_view action, std::string_view request_id) {
  xml.close(std::string(action) + "Result");
  xml.open("ResponseMetadata").text("RequestId", request_id).close("ResponseMetadata");
  xml.close(std::string(action) + "Response");
}

void write_cluster(XmlOut& xml, const SimCluster& cluster, const ClusterTopology& topology,
                   const ManagementSettings& settings) {
  xml.open("DBCluster");
  xml.number("AllocatedStorage", 1);
  availability_zones(xml, settings);
  xml.number("BackupRetentionPeriod", 1);
  xml.text("DBClusterIdentifier", cluster.id);
  xml.text("DBClusterParameterGroup", "default.neptune1.3");
  xml.text("DBSubnetGroup", "default");
  xml.text("Status", "available");
  xml.text("EarliestRestorableTime", iso8601_ms(cluster.created_wall_ms));
  xml.text("Endpoint", cluster_endpoint(cluster, false, settings));
  xml.text("ReaderEndpoint", cluster_endpoint(cluster, true, settings));
  xml.boolean("MultiAZ", cluster.members.size() > 1);
  xml.text("Engine", kEngine);
  xml.text("EngineVersion", kEngineVersion);
  xml.number("Port", kClusterPort);
  xml.text("MasterUsername", "admin");
  xml.text("PreferredBackupWindow", "07:26-07:56");
  xml.text("PreferredMaintenanceWindow", "sun:09:18-sun:09:48");
  xml.empty("ReadReplicaIdentifiers");
  xml.open("DBClusterMembers");
  for (const std::string& member : cluster.members) {
    const SimInstance* instance = topology.instance(member);
    xml.open("DBClusterMember");
    xml.text("DBInstanceIdentifier", member);
    xml.boolean("IsClusterWriter", member == cluster.writer);
    xml.text("DBClusterParameterGroupStatus", "in-sync");
    xml.number("PromotionTier", instance ? instance->promotion_tier : 1);
    xml.close("DBClusterMember");
  }
  xml.close("DBClusterMembers");
  xml.open("VpcSecurityGroups");
  xml.open("VpcSecurityGroupMembership");
  xml.text("VpcSecurityGroupId", "sg-0123456789abcdef0");
  xml.text("Status", "active");
  xml.close("VpcSecurityGroupMembership");
  xml.close("VpcSecurityGroups");
  xml.boolean("StorageEncrypted", false);
  xml.text("DbClusterResourceId", resource_id("cluster", cluster.id));
  xml.text("DBClusterArn", rds_arn("cluster", cluster.id, settings));
  xml.empty("AssociatedRoles");
  xml.boolean("IAMDatabaseAuthenticationEnabled", false);
  xml.text("ClusterCreateTime", iso8601_ms(cluster.created_wall_ms));
  xml.boolean("CopyTagsToSnapshot", false);
  xml.empty("EnabledCloudwatchLogsExports");
  xml.boolean("DeletionProtection", false);
  xml.boolean("CrossAccountClone", false);
  xml.text("StorageType", "standard");
  xml.text("NetworkType", "IPV4");
  xml.close("DBCluster");
}

void write_instance(XmlOut& xml, const SimInstance& instance, const ManagementSettings& settings) {
  xml.open("DBInstance");
  xml.text("DBInstanceIdentifier", instance.id);
  xml.text("DBInstanceClass", kInstanceClass);
  xml.text("Engine", kEngine);
  xml.text("DBInstanceStatus", instance.status);
  xml.text("MasterUsername", "admin");
  // RDS has no endpoint to show until the instance is created.
  if (instance.status != kCreating) {
    xml.open("Endpoint");
    xml.text("Address", instance_address(instance, settings));
    xml.number("Port", instance.port);
    xml.text("HostedZoneId", "ZSIMULATEDNEPTUNE");
    xml.close("Endpoint");
  }
  xml.number("AllocatedStorage", 1);
  xml.text("InstanceCreateTime", iso8601_ms(instance.created_wall_ms));
  xml.text("PreferredBackupWindow", "07:26-07:56");
  xml.number("BackupRetentionPeriod", 1);
  xml.empty("DBSecurityGroups");
  xml.open("VpcSecurityGroups");
  xml.open("VpcSecurityGroupMembership");
  xml.text("VpcSecurityGroupId", "sg-0123456789abcdef0");
  xml.text("Status", "active");
  xml.close("VpcSecurityGroupMembership");
  xml.close("VpcSecurityGroups");
  xml.open("DBParameterGroups");
  xml.open("DBParameterGroup");
  xml.text("DBParameterGroupName", "default.neptune1.3");
  xml.text("ParameterApplyStatus", "in-sync");
  xml.close("DBParameterGroup");
  xml.close("DBParameterGroups");
  xml.text("AvailabilityZone", settings.region + static_cast<char>('a' + instance.index % 3));
  xml.text("PreferredMaintenanceWindow", "sun:09:18-sun:09:48");
  xml.empty("PendingModifiedValues");
  xml.boolean("MultiAZ", false);
  xml.text("EngineVersion", kEngineVersion);
  xml.boolean("AutoMinorVersionUpgrade", true);
  xml.empty("ReadReplicaDBInstanceIdentifiers");
  xml.text("LicenseModel", "amazon-license");
  xml.boolean("PubliclyAccessible", false);
  xml.text("StorageType", "aurora");
  // As for Aurora instances, the port a client must use is Endpoint/Port, not this one.
  xml.number("DbInstancePort", 0);
  xml.text("DBClusterIdentifier", instance.cluster);
  xml.boolean("StorageEncrypted", false);
  xml.text("DbiResourceId", resource_id("db", instance.id));
  xml.text("CACertificateIdentifier", "rds-ca-rsa2048-g1");
  xml.boolean("CopyTagsToSnapshot", false);
  xml.number("MonitoringInterval", 0);
  xml.number("PromotionTier", instance.promotion_tier);
  xml.text("DBInstanceArn", rds_arn("db", instance.id, settings));
  xml.boolean("IAMDatabaseAuthenticationEnabled", false);
  xml.boolean("PerformanceInsightsEnabled", false);
  xml.boolean("DeletionProtection", false);
  xml.text("NetworkType", "IPV4");
  xml.close("DBInstance");
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string instance_address(const SimInstance& instance, const ManagementSettings& settings) {
  if (settings.advertise_domain.empty()) return settings.instance_host;
  return instance.id + "." + settings.advertise_domain;
}

std::string cluster_endpoint(const SimCluster& cluster, bool reader,
                             const ManagementSettings& settings) {
  const std::string kind = reader ? "cluster-ro" : "cluster";
  if (!settings.advertise_domain.empty())
    return cluster.id + "." + kind + "." + settings.advertise_domain;
  return cluster.id + "." + kind + "-csimulated00." + settings.region + ".neptune.amazonaws.com";
}

std::string rds_arn(std::string_view kind, std::string_view id,
                    const ManagementSettings& settings) {
  return "arn:aws:rds:" + settings.region + ":" + settings.account_id + ":" + std::string(kind) +
         ":" + std::string(id);
}

std::string iso8601_ms(std::int64_t wall_ms) {
  const std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(wall_ms % 1000));
  return text;
}

std::string describe_db_clusters_body(const std::vector<const SimCluster*>& page,
                                      const ClusterTopology& topology, std::string_view marker,
                                      std::string_view request_id,
                                      const ManagementSettings& settings) {
  XmlOut xml;
  xml.open("DescribeDBClustersResponse", kRdsNamespace);
  xml.open("DescribeDBClustersResult");
  if (!marker.empty()) xml.text("Marker", marker);
  xml.open("DBClusters");
  for (const SimCluster* cluster : page) write_cluster(xml, *cluster, topology, settings);
  xml.close("DBClusters");
  response_end(xml, "DescribeDBClusters", request_id);
  return xml.str();
}

std::string describe_db_instances_body(const std::vector<const SimInstance*>& page,
                                       std::string_view marker, std::string_view request_id,
                                       const ManagementSettings& settings) {
  XmlOut xml;
  xml.open("DescribeDBInstancesResponse", kRdsNamespace);
  xml.open("DescribeDBInstancesResult");
  if (!marker.empty()) xml.text("Marker", marker);
  xml.open("DBInstances");
  for (const SimInstance* instance : page) write_instance(xml, *instance, settings);
  xml.close("DBInstances");
  response_end(xml, "DescribeDBInstances", request_id);
  return xml.str();
}

std::string management_error_body(bool sender, std::string_view code, std::string_view message,
                                  std::string_view request_id) {
  XmlOut xml;
  xml.open("ErrorResponse", kRdsNamespace);
  xml.open("Error");
  xml.text("Type", sender ? "Sender" : "Receiver");
  xml.text("Code", code);
  xml.text("Message", message);
  xml.close("Error");
  xml.text("RequestId", request_id);
  xml.close("ErrorResponse");
  return xml.str();
}

}  // namespace nw::sim
