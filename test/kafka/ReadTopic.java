import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic back for the tests with Kafka's own Java consumer (kafka-clients, from the jars
 * scripts/kafka.sh fetches), not with our code: every partition from the beginning to the end
 * offsets it has when the read starts, so the read is exact and needs no idle timeout.
 *
 *   java -cp "$(scripts/kafka.sh classpath):CLASSES" ReadTopic BOOTSTRAP TOPIC
 *
 * Prints "partitions N", then one line per record, partition by partition in offset order:
 * partition TAB offset TAB timestamp TAB key TAB value (key "null" when there is none), with the
 * record's headers as TAB name=value after the value. Exit 3 when the topic does not exist.
 */
public class ReadTopic {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("enable.auto.commit", "false");
    props.put("max.partition.fetch.bytes", "4194304");
    String topic = args[1];
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.listTopics(Duration.ofSeconds(30)).getOrDefault(topic, List.of())) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      if (partitions.isEmpty()) {
        System.err.println("ReadTopic: no topic " + topic + " at " + args[0]);
        System.exit(3);
      }
      partitions.sort(Comparator.comparingInt(TopicPartition::partition));
      out.println("partitions " + partitions.size());
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      for (TopicPartition partition : partitions) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long last = end.get(partition);
        while (consumer.position(partition, Duration.ofSeconds(30)) < last) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            if (record.offset() >= last) break;
            out.print(record.partition() + "\t" + record.offset() + "\t" + record.timestamp() + "\t");
            out.print(record.key() == null ? "null" : new String(record.key(), StandardCharsets.UTF_8));
            out.print("\t");
            out.print(record.value() == null ? "null" : new String(record.value(), StandardCharsets.UTF_8));
            for (Header header : record.headers()) {
              out.print("\t" + header.key() + "=" + new String(header.value(), StandardCharsets.UTF_8));
            }
            out.print("\n");
          }
        }
      }
    }
    out.flush();
  }
}
