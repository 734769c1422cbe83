package report

import "fmt"

// Line is the chat counters in one line, as the text report shows them.
func (c *Chat) Line() string {
	naked := fmt.Sprintf("%d refused (NAK)", c.Naked)
	if c.NakedLeft > 0 {
		naked = fmt.Sprintf("%d refused (NAK; %d after the receiver had left)", c.Naked, c.NakedLeft)
	}
	return fmt.Sprintf("chat: %d switchboards, %d messages sent, %d acknowledged, %s, "+
		"%d delivered here, %d lost, %d duplicated, %d out of order",
		c.Switchboards, c.Sent, c.Acked, naked, c.Delivered, c.Lost, c.Duplicated, c.Reordered)
}

func (c *Chat) add(o *Chat) {
	c.Switchboards += o.Switchboards
	c.Sent += o.Sent
	c.Acked += o.Acked
	c.Naked += o.Naked
	c.NakedLeft += o.NakedLeft
	c.Delivered += o.Delivered
	c.Lost += o.Lost
	c.Duplicated += o.Duplicated
	c.Reordered += o.Reordered
}
