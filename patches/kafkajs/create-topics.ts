/**
 * kafkajs's CreateTopics response parse (src/protocol/requests/createTopics/v0/response.js, whose
 * parse v1, v2 and v3 take as theirs), keeping Kafka's own reason for each topic it refuses.
 *
 * Stock, v1 and later decode each topic's error_message ("Invalid value abc for configuration
 * retention.ms: Not a number of type LONG") and the parse then drops it: each
 * KafkaJSCreateTopicError is built from the error code alone ("Configuration is invalid"). Here
 * each also carries Kafka's message as `reason`, which src/kafka/admin.ts names in its one-line
 * refusal. Nothing else changes: the same errors, in the same aggregate, for the same answers.
 *
 * Upstream: none found.
 */

interface TopicAnswer {
  topic: string
  errorMessage?: string | null
}

interface Response {
  decode: (raw: Buffer) => Promise<unknown>
  parse: (data: { topicErrors?: TopicAnswer[] }) => Promise<unknown>
}

/** The stock module's decode, and its parse with each refused topic's reason kept. */
export function keepReasons(stock: Response): Response {
  return {
    decode: stock.decode,
    parse: async (data) => {
      try {
        return await stock.parse(data)
      } catch (error) {
        for (const each of (error as { errors?: { topic: string; reason?: string }[] }).errors ?? []) {
          const reason = data.topicErrors?.find((a) => a.topic === each.topic)?.errorMessage
          if (reason) each.reason = reason
        }
        throw error
      }
    },
  }
}
