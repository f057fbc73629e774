@area.messages @vectors
Feature: Every request the SUT is sent, spoilt one way at a time (报文与签名校验)
  A participant, and the switch, act only on a message that is well formed, signed by its
  sender under a registered key, fresh and not seen before. The message vectors
  (vectors/message_test.json) take a valid body of every request the switch sends a
  participant, and of every request a participant sends the switch, and spoil it one way at
  a time: each required field missing, each field of the wrong JSON type, a field the schema
  does not know, or the envelope's signature, key, timestamp or nonce. The harness signs as
  the switch toward an institution, and as the peer toward a switch, with a key made for
  this run; what the vector says is spoilt is spoilt after that. A replayed request gets a
  voucher and order number new to the SUT, so that only the replay can make it a duplicate.
  Each row is a vector: adding a vector adds a scenario.

  @tc.VEC-MSG-<tcId> @req.<requirements> @role.<receiver> @since.<since>
  Scenario Outline: The SUT refuses a <comment>
    When the harness sends the SUT a <msgType> (envelope: <mutation>) with this body:
      """
      <body>
      """
    Then the SUT refuses it with response code <answer>

    @rows.spoilt-requests
    Examples: every spoilt request of the message vectors
      | tcId | comment | msgType | receiver | mutation | answer | requirements | since | body |
