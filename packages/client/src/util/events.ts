/**
 * Where a layer reports what happened. The layers below the facade get one of these object instead
 * of a closure per event; `groupId` names the group a group message belongs to, and the facade
 * attaches its `Group` handle before the listeners see it.
 */
export interface EventSink<Events extends object> {
  emit<K extends keyof Events>(event: K, payload: Events[K], groupId?: string): void;
}
