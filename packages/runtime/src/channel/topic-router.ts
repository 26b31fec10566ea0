import type { ChannelDefinition } from './definition';

/**
 * Matches topics to channel definitions: exact topics, or prefixes declared
 * with a trailing `*`. Declaration order decides between overlapping routes.
 */
export class TopicRouter {
  private readonly routes: Array<{ prefix: string; exact: boolean; def: ChannelDefinition<any> }> = [];

  add(def: ChannelDefinition<any>): void {
    if (def.topic === 'phoenix') throw new Error('topic "phoenix" is reserved for heartbeats');
    const exact = !def.topic.endsWith('*');
    this.routes.push({ prefix: exact ? def.topic : def.topic.slice(0, -1), exact, def });
  }

  match(topic: string): ChannelDefinition<any> | null {
    for (const r of this.routes) {
      if (r.exact ? topic === r.prefix : topic.startsWith(r.prefix)) return r.def;
    }
    return null;
  }
}
