/**
 * A first-in first-out list with a moving head: taking the oldest item is O(1) (no `Array#shift`
 * per item), and the consumed part is dropped in one `splice` once it is most of the array.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of items held. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds an item at the end. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, without taking it; undefined when empty. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Takes the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const value = this.items[this.head];
    this.items[this.head++] = undefined; // let it go
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return value;
  }

  /** Drops every item. */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }

  /** The items, oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}
