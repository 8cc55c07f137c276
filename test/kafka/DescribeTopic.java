import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Describes a topic for the tests with Kafka's own Java admin client (kafka-clients, from the jars
 * scripts/kafka.sh fetches), not with our code:
 *
 *   java -cp "$(scripts/kafka.sh classpath):CLASSES" DescribeTopic BOOTSTRAP TOPIC
 *
 * Prints "partitions N", "replication-factor R" (of partition 0), then "config NAME=VALUE" for each
 * config set on the topic itself (not a broker or default value), sorted by name.
 */
public class DescribeTopic {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    String topic = args[1];
    try (Admin admin = Admin.create(props)) {
      TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      System.out.println("partitions " + description.partitions().size());
      System.out.println("replication-factor " + description.partitions().get(0).replicas().size());
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      List<String> set = new ArrayList<>();
      for (ConfigEntry entry : config.entries()) {
        if (entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) set.add(entry.name() + "=" + entry.value());
      }
      Collections.sort(set);
      for (String line : set) System.out.println("config " + line);
    }
  }
}
