/**
 * Kafka's own reason for each topic that CreateTopics refuses. kafkajs 2.2.4 decodes each topic's
 * error_message (CreateTopics v1 and later: "Invalid value abc for configuration retention.ms:
 * Not a number of type LONG") and then drops it: its parse builds each KafkaJSCreateTopicError from
 * the error code alone ("Configuration is invalid"). `keepCreateTopicsReasons` wraps the parse of
 * each version's response module so that each error also carries Kafka's message as `reason`.
 * These module objects are the ones kafkajs's connection uses (one module graph, one bundle), and
 * it looks `parse` up on them at every response. Idempotent.
 */

/** A topic's refusal as kafkajs throws it (in a KafkaJSAggregateError's `errors`), with Kafka's message. */
export interface CreateTopicError {
  topic: string
  type: string
  message: string
  /** Kafka's error_message, when it gave one. */
  reason?: string
}

interface ResponseModule {
  parse: (data: unknown) => Promise<unknown>
  keepsReasons?: true
}

let kept: Promise<void> | undefined

export function keepCreateTopicsReasons(): Promise<void> {
  kept ??= (async () => {
    const modules: ResponseModule[] = [
      // @ts-expect-error: kafkajs ships no types for its internal modules
      (await import('kafkajs/src/protocol/requests/createTopics/v1/response.js')).default,
      // @ts-expect-error: as above
      (await import('kafkajs/src/protocol/requests/createTopics/v2/response.js')).default,
      // @ts-expect-error: as above
      (await import('kafkajs/src/protocol/requests/createTopics/v3/response.js')).default,
    ]
    for (const response of modules) {
      if (response.keepsReasons) continue
      const parse = response.parse
      response.parse = async (data) => {
        try {
          return await parse(data)
        } catch (error) {
          const answers = (data as { topicErrors?: { topic: string; errorMessage?: string | null }[] }).topicErrors
          for (const each of (error as { errors?: CreateTopicError[] }).errors ?? []) {
            const reason = answers?.find((a) => a.topic === each.topic)?.errorMessage
            if (reason) each.reason = reason
          }
          throw error
        }
      }
      response.keepsReasons = true
    }
  })()
  return kept
}
