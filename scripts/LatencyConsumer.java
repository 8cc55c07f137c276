import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka's own Java consumer (kafka-clients, default fetch settings), timing arrivals for
 * scripts/bench-latency.ts: reads partition 0 of a topic from its start until COUNT records came,
 * and prints per record "due timestamp arrival" (epoch ms: the opendt-due header, the record's
 * timestamp, and the instant poll() returned it, with microseconds). "ready" goes to stderr once
 * the partition is assigned and the first poll has returned.
 *
 *   java -cp <kafka jars>:<classes> LatencyConsumer BOOTSTRAP TOPIC COUNT
 *
 * FETCH_MAX_WAIT_MS in the environment overrides fetch.max.wait.ms (0: fetch without waiting
 * at the broker, to tell the broker's delayed-fetch path apart from the rest).
 */
public class LatencyConsumer {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("enable.auto.commit", "false");
    if (System.getenv("FETCH_MAX_WAIT_MS") != null) props.put("fetch.max.wait.ms", System.getenv("FETCH_MAX_WAIT_MS"));
    long count = Long.parseLong(args[2]);
    StringBuilder out = new StringBuilder();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(args[1], 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      consumer.poll(Duration.ZERO);
      consumer.position(partition);
      System.err.println("ready");
      long seen = 0;
      while (seen < count) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        Instant now = Instant.now();
        double arrival = now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
        for (ConsumerRecord<byte[], byte[]> r : records) {
          Header due = r.headers().lastHeader("opendt-due");
          out.append(due == null ? "NaN" : new String(due.value()))
              .append(' ')
              .append(r.timestamp())
              .append(' ')
              .append(String.format("%.3f", arrival))
              .append('\n');
          seen++;
        }
      }
    }
    System.out.print(out);
    System.out.flush();
  }
}
