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
 *
 *   java ... DescribeTopic BOOTSTRAP --exist TOPIC...
 *
 * Prints "TOPIC yes" or "TOPIC no" for each, as the cluster's topic list has it.
 */
public class DescribeTopic {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    String topic = args[1];
    try (Admin admin = Admin.create(props)) {
      if (topic.equals("--exist")) {
        java.util.Set<String> names = admin.listTopics().names().get();
        for (int i = 2; i < args.length; i++) System.out.println(args[i] + (names.contains(args[i]) ? " yes" : " no"));
        return;
      }
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
