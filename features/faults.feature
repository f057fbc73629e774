@area.faults
Feature: When the network misbehaves (网络异常)
  The simulated switch can spoil its next exchange with the SUT in the ways a real network
  does (qrinterop/profile/.../faults.json names each fault and the behaviour it calls for).
  The transaction itself still happens; only the answer is lost, late, unreadable or badly
  signed, so an institution that gives up, or takes the spoilt answer at its word, books the
  wrong outcome. One that queries learns the truth. Where a scenario is about the queries,
  the switch's result notices to the SUT are lost too, as they can be.

  @tc.FLT-01-<fault> @req.R-FLOW-02 @req.R-FLOW-04 @role.acquirer
  Scenario Outline: The SUT's terminal learns the outcome of a purchase whose answer was spoilt (<fault>)
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will spoil its answer to the SUT's next purchase with the fault "<fault>"
    And the switch will lose its result notices to the SUT
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as unknown, not as failed
    And the SUT reports the purchase as approved once it has queried it
    And the SUT queried the purchase no sooner than the profile's first query delay
    And the payer account at the peer holds 70.00 CNY

    Examples: answers that carry no outcome
      | fault                | what the SUT gets                                  |
      | answer-code          | response code 03: the switch does not know yet     |
      | drop-answer          | the connection closed without an answer            |
      | reset-connection     | the connection reset (TCP RST)                     |
      | malformed-answer     | a truncated message                                |

    @req.R-SEC-02
    Examples: an answer that must not be acted on
      | fault                | what the SUT gets                                  |
      | bad-signature-answer | an answer whose signature does not verify          |

  @tc.FIN-01 @req.R-FLOW-17 @role.acquirer
  Scenario: The SUT's terminal takes the switch's synchronous 00 as an acceptance, and books the decline its query finds
    Given a payer account at the peer holding 10.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will answer the SUT's next purchase with response code "00", whatever its outcome
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as declined with response code "64" once it has queried it
    And the payer account at the peer holds 10.00 CNY

  @tc.FIN-02 @req.R-FLOW-17 @role.acquirer
  Scenario: The SUT's terminal confirms an accepted purchase by querying it when no result notice comes
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will lose its result notices to the SUT
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved once it has queried it
    And the payer account at the peer holds 70.00 CNY

  @tc.FLT-02 @req.R-FLOW-06 @role.issuer
  Scenario: The SUT debits once a purchase the switch delivers twice
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the switch will deliver its next purchase to the SUT twice
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as approved
    And the payer account at the SUT holds 70.00 CNY

  @tc.REV-01 @req.R-FLOW-03 @req.R-FLOW-04 @role.acquirer
  Scenario: The SUT's terminal reverses a purchase whose outcome stays unknown
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will lose the SUT's next purchase on its way to the issuer
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as unknown, not as failed
    And the SUT reports the purchase as reversed once its queries found no outcome
    And the SUT reversed the purchase, querying it first as the style it declares says
    And the payer account at the peer holds 100.00 CNY

  @tc.REV-04 @req.R-FLOW-18 @role.acquirer @feature.query-before-reversal
  Scenario: The SUT's terminal, declaring query-first, queries on WeChat's schedule before it reverses
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will lose the SUT's next purchase on its way to the issuer
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as unknown, not as failed
    And the SUT reports the purchase as reversed once its queries found no outcome
    And the SUT reversed the purchase, querying it first as the style it declares says
    And the payer account at the peer holds 100.00 CNY

  @tc.NTF-01 @req.R-FLOW-08 @role.acquirer
  Scenario: The SUT's terminal acknowledges every copy of the switch's result notice
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will spoil its answer to the SUT's next purchase with the fault "drop-answer"
    And the switch will deliver its next result notice to the SUT twice
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved once it has queried it
    And the SUT acknowledged both copies of the result notice with response code "00"
    And the payer account at the peer holds 70.00 CNY

  @tc.NTF-02 @req.R-FLOW-08 @role.acquirer
  Scenario: The SUT does not act on a result notice that does not match its purchase
    Given a payer account at the peer holding 10.00 CNY
    And the peer's wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as declined with response code "64"
    When the switch notifies the SUT that the purchase was approved, for 3.00 CNY
    Then the SUT answers with response code "00"
    And the SUT reports the purchase as declined with response code "64"

  @tc.REV-03 @req.R-FLOW-03 @role.acquirer
  Scenario: The SUT's terminal sends its reversal again when the answer to it is lost
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will lose the SUT's next purchase on its way to the issuer
    And the switch will drop its answer to the SUT's next reversal
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as unknown, not as failed
    And the SUT reports the purchase as reversed once its queries found no outcome
    And the payer account at the peer holds 100.00 CNY

  @tc.REV-02 @req.R-FLOW-05 @role.issuer
  Scenario: The SUT gives the money back when a purchase it approved too late is reversed
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    And the switch will stop waiting for the SUT's answer to the next purchase
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the peer acquirer reports the purchase as reversed once its queries found no outcome
    And the SUT answered the reversal with response code "00"
    And the payer account at the SUT holds 100.00 CNY

  @tc.NTF-03 @req.R-FLOW-08 @role.acquirer
  Scenario: The SUT's terminal books a purchase once when its result notice comes before the answer
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will send the result notice of the SUT's next purchase before its answer
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved
    And the SUT acknowledged the result notice with response code "00"
    When the switch writes the SUT's reconciliation file for the day
    Then the SUT's books for the day agree with the switch's reconciliation file
    And the payer account at the peer holds 70.00 CNY

  @tc.NTF-04 @req.R-FLOW-08 @role.acquirer
  Scenario: The SUT's acquirer acknowledges the switch's notice of a payment to its merchant code
    Given a payer account at the peer holding 100.00 CNY
    And a static merchant code of the SUT's acquirer for merchant "Corner Shop"
    When the payer scans the merchant code in the peer's wallet and pays 30.00 CNY
    Then the peer reports the payment as approved
    And the SUT acknowledged the switch's collection notice of that payment with response code "00"

  @tc.FLT-03-<spoil> @req.R-SEC-02 @req.R-FLOW-03 @role.acquirer
  Scenario Outline: The SUT's terminal does not take a forged "declined" answer to its status query (<spoil>)
    Given a payer account at the peer holding 100.00 CNY
    And the peer's wallet shows a payment code for that account
    And the switch will spoil its answer to the SUT's next purchase with the fault "drop-answer"
    And the switch will lose its result notices to the SUT
    And the switch will answer the SUT's next status query with response code "30", its envelope spoilt as "<spoil>"
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT did not take the spoilt answer: it reports the purchase as approved once its queries found the outcome
    And the payer account at the peer holds 70.00 CNY

    Examples: answers that do not verify, whatever they claim
      | spoil             | what the SUT gets                                      |
      | altered-signature | its signature value altered                            |
      | stranger-key      | correctly signed with a key nobody registered          |
      | alg-rsa           | its SM2 signature labelled SHA256withRSA               |

  @tc.FLT-04-<spoil> @req.R-SEC-02 @req.R-FLOW-02 @role.issuer
  Scenario Outline: The SUT's wallet does not take a forged "declined" answer to its payment (<spoil>)
    Given a payer account at the SUT holding 500.00 CNY
    And a static merchant code of the peer acquirer for merchant "Noodle Bar"
    And the switch will answer the SUT's next payment with response code "30", its envelope spoilt as "<spoil>"
    When the payer scans the merchant code in the SUT's wallet and pays 12.50 CNY
    Then the SUT did not take the spoilt answer: it reports the payment as approved once its queries found the outcome
    And the payer account at the SUT holds 487.50 CNY

    Examples: answers that do not verify, whatever they claim
      | spoil             | what the SUT gets                                      |
      | altered-signature | its signature value altered                            |
      | stranger-key      | correctly signed with a key nobody registered          |
      | alg-rsa           | its SM2 signature labelled SHA256withRSA               |

  @tc.FLT-05-<spoil> @req.R-SEC-02 @role.switch
  Scenario Outline: The SUT switch does not pass on a forged "declined" answer of the issuer (<spoil>)
    Given a payer account at the wallet-w holding 100.00 CNY
    And the wallet-w's wallet shows a payment code for that account
    And the wallet-w's wallet will answer the switch's next purchase with response code "30", its envelope spoilt as "<spoil>"
    When the peer acquirer's terminal scans the payment code for 30.00 CNY
    Then the SUT did not pass the spoilt answer on: the peer acquirer reports the purchase as reversed once its queries found the outcome
    And the payer account at the wallet-w holds 100.00 CNY

    Examples: answers that do not verify, whatever they claim
      | spoil             | what the SUT gets                                      |
      | altered-signature | its signature value altered                            |
      | stranger-key      | correctly signed with a key nobody registered          |
