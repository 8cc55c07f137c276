"""Reads a topic back for the tests with librdkafka (confluent-kafka, from scripts/rdkafka.sh), a
second reader we did not write beside Kafka's Java consumer (ReadTopic.java): every partition from
the beginning to the end offset it has when the read starts. Prints what ReadTopic.java prints:
"partitions N", then per record, partition by partition in offset order, partition TAB offset TAB
timestamp TAB key TAB value (key "null" when there is none), then TAB name=value per header.
Exit 3 when the topic does not exist.

    python read_topic_rdkafka.py BOOTSTRAP TOPIC"""
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

bootstrap, topic = sys.argv[1], sys.argv[2]
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "opendt-replay-tests",  # no offsets are committed: partitions are assigned by hand
    "enable.auto.commit": False,
    "enable.partition.eof": True,
    "max.partition.fetch.bytes": 4194304,
})
described = consumer.list_topics(topic, timeout=30).topics.get(topic)
if described is None or described.error is not None or not described.partitions:
    print(f"read_topic_rdkafka: no topic {topic} at {bootstrap}", file=sys.stderr)
    sys.exit(3)
partitions = sorted(described.partitions)
out = sys.stdout
out.write(f"partitions {len(partitions)}\n")
text = lambda b: "null" if b is None else b.decode("utf-8")
for p in partitions:
    _, end = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)])
    done = end == 0
    while not done:
        for m in consumer.consume(num_messages=10000, timeout=1.0):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    done = done or m.partition() == p
                    continue
                raise RuntimeError(str(m.error()))
            if m.offset() >= end:
                done = True
                break
            headers = "".join(f"\t{k}={text(v)}" for k, v in (m.headers() or []))
            out.write(f"{p}\t{m.offset()}\t{m.timestamp()[1]}\t{text(m.key())}\t{text(m.value())}{headers}\n")
            done = m.offset() + 1 >= end
    consumer.unassign()
consumer.close()
