package history

import "container/list"

// blobCache keeps the most recently used blobs' contents up to a total
// number of bytes. A commit's parent blob was usually read as a new blob
// shortly before, so a small cache saves most second reads.
type blobCache struct {
	max, size int64
	order     *list.List // of *cached, most recent first
	byID      map[string]*list.Element
}

type cached struct {
	id   string
	data []byte
}

func newBlobCache(max int64) *blobCache {
	return &blobCache{max: max, order: list.New(), byID: map[string]*list.Element{}}
}

func (c *blobCache) get(id string) ([]byte, bool) {
	e, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).data, true
}

// add keeps data under id, evicting the least recently used blobs to stay
// within the limit; a blob larger than the whole cache is not kept.
func (c *blobCache) add(id string, data []byte) {
	n := int64(len(data))
	if n > c.max {
		return
	}
	if e, ok := c.byID[id]; ok {
		c.order.MoveToFront(e)
		return
	}
	for c.size+n > c.max {
		last := c.order.Back()
		old := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.byID, old.id)
		c.size -= int64(len(old.data))
	}
	c.byID[id] = c.order.PushFront(&cached{id: id, data: data})
	c.size += n
}
