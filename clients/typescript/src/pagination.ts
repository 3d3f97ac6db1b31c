import type { APIResponse } from "./client.js";

/** One page of a list endpoint, newest first. */
export interface Page<T> {
  object: "list";
  /** The objects; unlike the page, they carry no `lastResponse`. */
  data: T[];
  has_more: boolean;
  url: string;
  /** The response that carried this page (not enumerable). */
  readonly lastResponse: APIResponse;
}

/** Paging parameters shared by every list endpoint. */
export interface ListParams {
  /** Page size, 1 to 100; the server's default is 10. */
  limit?: number;
  /** Return the objects older than this id (the next page). */
  starting_after?: string;
  /** Return the objects newer than this id (the previous page). */
  ending_before?: string;
}

/**
 * What `list()` returns: await it for one page, or iterate it with `for await`
 * for every object on every page, fetched page by page as the loop goes.
 *
 * Nothing is sent until it is awaited or iterated; the first page is fetched
 * once and shared by both.
 */
export class PagePromise<T extends { id: string }, P extends ListParams = ListParams>
  implements PromiseLike<Page<T>>, AsyncIterable<T>
{
  #firstPage: Promise<Page<T>> | undefined;
  readonly #fetchPage: (params: P) => Promise<Page<T>>;
  readonly #params: P;

  /** @internal */
  constructor(fetchPage: (params: P) => Promise<Page<T>>, params: P) {
    this.#fetchPage = fetchPage;
    this.#params = params;
  }

  #first(): Promise<Page<T>> {
    this.#firstPage ??= this.#fetchPage(this.#params);
    return this.#firstPage;
  }

  then<R1 = Page<T>, R2 = never>(
    onfulfilled?: ((page: Page<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#first().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<T> | R> {
    return this.#first().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<T>> {
    return this.#first().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    // Paging with only ending_before walks towards newer objects, so the cursor is the page's first item.
    const backwards = this.#params.ending_before !== undefined && this.#params.starting_after === undefined;
    let page = await this.#first();
    for (;;) {
      yield* backwards ? [...page.data].reverse() : page.data;
      if (!page.has_more || page.data.length === 0) return;
      const next = backwards
        ? { ...this.#params, ending_before: page.data[0]!.id }
        : { ...this.#params, starting_after: page.data[page.data.length - 1]!.id };
      page = await this.#fetchPage(next);
    }
  }
}
